// The tutorial's "CRUD" section with the ORM Session:
//
//   Session = sessionmaker(bind=engine)
//   with Session() as session:
//       new_user = User(username='john_doe', email='john@example.com')
//       session.add(new_user)
//       session.commit()
//   users = session.query(User).all()
//   session.query(User).filter(User.name == 'John').update({"nickname": "new_nickname"},
//                                                         synchronize_session=False)
//   session.delete(user)
//
// Runs on SQLite by default; set DATABASE_URL to use another database.
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

namespace crud {

// Default member initialisers keep GCC's -Wextra quiet when designated initialisers
// leave members out.
struct User {
    std::int64_t id = 0;
    std::string username{};
    std::optional<std::string> email{};
    std::optional<std::string> nickname{};
};

}  // namespace crud

template <>
inline constexpr auto sa::mapping<crud::User> = sa::table("users", sa::unique(&crud::User::username));

using crud::User;

namespace {
void print_users(sa::Session& session, std::string_view when) {
    fmt::print("{}:\n", when);
    for (const auto& user : session.query<User>().order_by(sa::col<&User::id>).all())
        fmt::print("  {} {} email={} nickname={}\n", user->id, user->username, user->email.value_or("-"),
                   user->nickname.value_or("-"));
}
}  // namespace

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///session_crud.db");
    auto metadata = sa::metadata<User>();
    metadata.drop_all(engine);
    metadata.create_all(engine);

    auto Session = sa::sessionmaker(engine);

    {  // Add: the object is pending until the commit flushes it; then it has its id.
        auto session = Session();
        auto john = session.add(User{.username = "john_doe", .email = "john@example.com"});
        session.add_all(std::vector<User>{{.username = "John"}, {.username = "ann"}});
        fmt::print("before commit: john is {} with id {}\n", sa::to_string(sa::inspect(john).state()),
                   john->id);
        session.commit();
        fmt::print("after commit:  john is {} with id {}\n", sa::to_string(sa::inspect(john).state()),
                   john->id);
    }  // the session closes here; its objects become detached

    {  // Query, and Update through an object: only the changed column is written.
        auto session = Session();
        print_users(session, "query(User).all()");
        auto john = session.query<User>().filter_by<&User::username>("john_doe").one();
        john->email = "john.doe@example.com";
        fmt::print("modified: {}\n", session.is_modified(john));
        session.commit();

        // The identity map: the same row is the same object.
        auto again = session.get<User>(john->id);
        fmt::print("get() returns the same object: {}\n", again == john);
    }

    {  // Update in bulk: one UPDATE ... WHERE; synchronize_session none, as in the tutorial.
        auto session = Session();
        const auto n = session.query<User>()
                           .filter(sa::col<&User::username> == "John")
                           .update(sa::col<&User::nickname> = "new_nickname", sa::synchronize_session::none);
        session.commit();
        fmt::print("bulk update matched {} row(s)\n", n);
    }

    {  // Delete: marked now, DELETE at the next flush; the object ends up detached.
        auto session = Session();
        auto ann = session.query<User>().filter_by<&User::username>("ann").one();
        session.delete_(ann);
        session.commit();
        fmt::print("ann is {}\n", sa::to_string(sa::inspect(ann).state()));
        print_users(session, "after delete");
        fmt::print("{} users\n", session.query<User>().count());
    }
}
