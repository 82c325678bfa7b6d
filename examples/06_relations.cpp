// The tutorial's "Relations" section with the ORM Session:
//
//   # Many to One
//   user_id = Column(Integer, ForeignKey('users.id'))
//   user = relationship('User')
//   # One to One
//   profile = relationship("UserProfile", back_populates="user", uselist=False)
//   user = relationship("User", back_populates="profile")
//   # Many to many
//   groups = relationship("Group", secondary=user_group_association, back_populates="users")
//   users = relationship("User", secondary=user_group_association, back_populates="groups")
//
// Runs on SQLite by default; set DATABASE_URL to use another database. docs/relationships.md
// explains each spelling and the SQL it sends.
#include <alchemy/alchemy.hpp>

#include <fmt/format.h>
#include <cstdlib>

namespace sa = alchemy;

namespace relations {

struct UserProfile;
struct Group;
struct UserGroup;

struct User {
    std::int64_t id = 0;
    std::string name{};
    sa::HasOne<UserProfile> profile{};          // uselist=False, back_populates="user"
    sa::ManyToMany<Group, UserGroup> groups{};  // secondary=user_group
};

struct Post {  // many to one
    std::int64_t id = 0;
    std::int64_t user_id = 0;  // ForeignKey('users.id'), by convention
    std::string title{};
    sa::BelongsTo<User> user{};  // relationship('User')
};

struct UserProfile {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string bio{};
    sa::BelongsTo<User> user{};  // back_populates="profile"
};

struct Group {
    std::int64_t id = 0;
    std::string name{};
    sa::ManyToMany<User, UserGroup> users{};  // back_populates="groups"
};

struct UserGroup {  // the association table user_group
    std::int64_t user_id = 0;
    std::int64_t group_id = 0;
    sa::BelongsTo<User> user{};
    sa::BelongsTo<Group> group{};
};

}  // namespace relations

template <>
inline constexpr auto sa::mapping<relations::User> = sa::table("users");
template <>
inline constexpr auto sa::mapping<relations::Post> = sa::table("posts");
template <>
inline constexpr auto sa::mapping<relations::UserProfile> =
    sa::table("profiles", sa::unique(&relations::UserProfile::user_id));
template <>
inline constexpr auto sa::mapping<relations::Group> = sa::table("groups");
template <>
inline constexpr auto sa::mapping<relations::UserGroup> =
    sa::table("user_group", sa::primary_key(&relations::UserGroup::user_id, &relations::UserGroup::group_id));

using namespace relations;

int main() {
    const char* env_url = std::getenv("DATABASE_URL");
    auto engine = sa::create_engine(env_url ? env_url : "sqlite:///relations.db");
    auto metadata = sa::metadata<User, Post, UserProfile, Group, UserGroup>();
    metadata.drop_all(engine);
    metadata.create_all(engine);

    {  // Build a small graph; one commit inserts parents first, then everything that refers to them.
        sa::Session session(engine);
        auto john = session.add(User{.name = "john_doe"});
        john->profile = std::make_shared<UserProfile>(UserProfile{.bio = "writes about SQL"});
        auto admins = session.add(Group{.name = "admins"});
        john->groups.add(admins);  // a user_group row at flush
        auto jane = session.add(User{.name = "jane"});
        jane->groups.add(admins);
        jane->groups.add(Group{.name = "editors"});  // a new group, pending by save-update
        for (auto title : {"Hello", "ORMs in C++"}) {
            auto post = session.add(Post{.title = title});
            post->user = john;  // many to one
        }
        session.commit();
    }
    {  // Walk it: each relationship is loaded once for all the objects of a query.
        sa::Session session(engine);
        for (const auto& post : session.query<Post>().order_by(sa::col<&Post::id>).all())
            fmt::print("post '{}' by {}\n", post->title, post->user->name);
        for (const auto& user : session.query<User>().order_by(sa::col<&User::id>).all()) {
            fmt::print("{}: profile {}, groups", user->name, user->profile ? user->profile->bio : "(none)");
            for (const Group& g : user->groups) fmt::print(" {}", g.name);
            fmt::print("\n");
        }
        auto admins = session.query<Group>().filter(sa::col<&Group::name> == "admins").one();
        fmt::print("admins has {} members\n", admins->users.size());
        auto jane = session.query<User>().filter(sa::col<&User::name> == "jane").one();
        admins->users.remove(jane);  // the user_group row is deleted
        session.commit();
    }
    {
        sa::Session session(engine);
        auto jane = session.query<User>()
                        .filter(sa::col<&User::name> == "jane")
                        .options(sa::selectinload<&User::groups>())  // loaded with the query
                        .one();
        session.close();
        fmt::print("jane after leaving admins ({} group):", jane->groups.size());
        for (const Group& g : jane->groups) fmt::print(" {}", g.name);  // readable detached
        fmt::print("\n");
    }
}
