// sa::migrate::main: the commands of the migration tool users build over their models
// (Alembic's command line). Arguments are parsed with Boost.ProgramOptions, alchemy.ini
// is read with Boost.PropertyTree; the work is done by revision.hpp and runner.hpp.
#include "alchemy/migrate/cli.hpp"

#include "alchemy/core/error.hpp"
#include "alchemy/migrate/autogenerate.hpp"
#include "alchemy/migrate/inspect.hpp"
#include "alchemy/migrate/revision.hpp"
#include "alchemy/migrate/runner.hpp"

#include "alchemy/format.hpp"

#include <fmt/format.h>
#include <boost/program_options.hpp>
#include <boost/property_tree/ini_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace alchemy::migrate {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

/// A mistake on the command line: reported with a pointer to --help, exit status 2.
class UsageError : public Error {
public:
    using Error::Error;
};

constexpr std::string_view default_url = "sqlite:///app.db";

struct Command {
    std::string_view name;
    std::string_view synopsis;
    std::string_view summary;
    /// What the one argument is, for the error when it is missing; empty: none taken.
    std::string_view argument;
    /// The long options the command accepts besides --config and --help.
    std::vector<std::string_view> options;
};

const std::vector<Command>& commands() {
    static const std::vector<Command> table{
        {"init", "init DIR", "create DIR/versions/ and alchemy.ini", "the folder to create", {}},
        {"revision",
         "revision -m MSG [--autogenerate [--allow-empty]]",
         "write a new revision file after the current head",
         "",
         {"message", "autogenerate", "allow-empty"}},
        {"upgrade",
         "upgrade head|+N|REV [--sql]",
         "run revisions up to the target",
         "a target: head, +N or a revision id",
         {"sql"}},
        {"downgrade",
         "downgrade -N|REV|base [--sql]",
         "revert revisions down to the target",
         "a target: -N, a revision id or base",
         {"sql"}},
        {"current", "current", "show the revision the database is at", "", {}},
        {"history", "history", "list the revisions, newest first", "", {}},
        {"heads", "heads", "show the newest revision", "", {}},
        {"stamp",
         "stamp REV|head|base",
         "record a revision as current without running any SQL",
         "a revision id, head or base",
         {}},
        {"check", "check", "exit 1 if the models and the database differ", "", {}},
    };
    return table;
}

struct Options {
    const Command* command = nullptr;
    std::optional<std::string> argument;
    fs::path config;
    std::optional<std::string> message;
    bool autogenerate = false;
    bool allow_empty = false;
    bool sql = false;
    bool help = false;
};

po::options_description visible_options() {
    po::options_description options("Options");
    auto add = options.add_options();
    add("help,h", po::bool_switch(), "show this help");
    add("config,c", po::value<std::string>()->value_name("FILE")->default_value("alchemy.ini"),
        "the configuration file");
    add("message,m", po::value<std::string>()->value_name("MSG"), "revision: what the revision does");
    add("autogenerate", po::bool_switch(),
        "revision: compare the models with the database and write the SQL for the difference");
    add("allow-empty", po::bool_switch(),
        "revision --autogenerate: write the file even when nothing changed");
    add("sql", po::bool_switch(),
        "upgrade, downgrade: print the SQL instead of running it; a FROM:TO target needs no "
        "database");
    return options;
}

std::string usage(std::string_view program) {
    std::string text =
        fmt::format("usage: {} [-c FILE] COMMAND [ARGS]\n\nCommands (as in Alembic):\n", program);
    for (const auto& command : commands()) {
        if (command.synopsis.size() > 30)
            text += fmt::format("  {}\n  {:30}  {}\n", command.synopsis, "", command.summary);
        else text += fmt::format("  {:30}  {}\n", command.synopsis, command.summary);
    }
    text +=
        "\nThe database URL comes from the DATABASE_URL environment variable, else from `url`\n"
        "in alchemy.ini; REV is a revision id or an unambiguous prefix of one.\n\n";
    std::ostringstream options;
    options << visible_options();
    return text + options.str();
}

/// "downgrade -1": a negative number is the command's argument, not an option.
std::pair<std::string, std::string> relative_revision(const std::string& token) {
    if (token.size() > 1 && token[0] == '-' &&
        std::all_of(token.begin() + 1, token.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return {"argument", token};
    return {};
}

Options parse(int argc, char** argv) {
    po::options_description hidden;
    auto add = hidden.add_options();
    add("command", po::value<std::string>());
    add("argument", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(visible_options()).add(hidden);
    po::positional_options_description positional;
    positional.add("command", 1).add("argument", -1);

    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .extra_parser(relative_revision)
                  .run(),
              vm);
    po::notify(vm);

    Options options;
    options.help = vm["help"].as<bool>();
    options.config = vm["config"].as<std::string>();
    if (vm.count("message")) options.message = vm["message"].as<std::string>();
    options.autogenerate = vm["autogenerate"].as<bool>();
    options.allow_empty = vm["allow-empty"].as<bool>();
    options.sql = vm["sql"].as<bool>();
    if (options.help) return options;
    if (!vm.count("command")) throw UsageError("alchemy: no command given");

    const auto name = vm["command"].as<std::string>();
    const auto& table = commands();
    const auto command =
        std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == name; });
    if (command == table.end()) {
        std::vector<std::string_view> names;
        for (const auto& c : table) names.push_back(c.name);
        throw UsageError(
            fmt::format("alchemy: unknown command '{}'; the commands are {}", name, fmt::join(names, ", ")));
    }
    options.command = &*command;

    const auto arguments =
        vm.count("argument") ? vm["argument"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (command->argument.empty() && !arguments.empty())
        throw UsageError(fmt::format("alchemy: {} takes no argument, but got '{}'", name, arguments.front()));
    if (!command->argument.empty() && arguments.size() != 1)
        throw UsageError(
            fmt::format("alchemy: {} needs one argument, {}{}", name, command->argument,
                        arguments.empty() ? "" : fmt::format("; got {}", fmt::join(arguments, " "))));
    if (!arguments.empty()) options.argument = arguments.front();

    const std::array<std::pair<std::string_view, bool>, 4> given{{
        {"message", options.message.has_value()},
        {"autogenerate", options.autogenerate},
        {"allow-empty", options.allow_empty},
        {"sql", options.sql},
    }};
    for (const auto& [option, set] : given)
        if (set &&
            std::find(command->options.begin(), command->options.end(), option) == command->options.end())
            throw UsageError(fmt::format("alchemy: {} does not take --{}", name, option));
    if (name == "revision" && !options.message)
        throw UsageError("alchemy: revision needs a message, e.g. -m \"Add User Table\"");
    if (options.allow_empty && !options.autogenerate)
        throw UsageError("alchemy: --allow-empty goes with --autogenerate");
    return options;
}

struct Settings {
    fs::path config;
    fs::path versions;
    /// Empty when neither DATABASE_URL nor `url` is set: only the commands that need the
    /// database complain.
    std::optional<std::string> url;
};

Settings read_settings(const fs::path& config) {
    std::error_code ec;
    if (!fs::exists(config, ec))
        throw Error(fmt::format("alchemy: no {} in {}; run `init DIR` first", config.filename().string(),
                                fs::absolute(config).parent_path().string()));
    boost::property_tree::ptree tree;
    try {
        boost::property_tree::read_ini(config.string(), tree);
    } catch (const boost::property_tree::ini_parser_error& e) {
        throw Error(fmt::format("alchemy: cannot read {}: {}", config.string(), e.what()));
    }
    const auto location = tree.get_optional<std::string>("alchemy.script_location");
    if (!location || location->empty())
        throw Error(
            fmt::format("alchemy: {} has no script_location in its [alchemy] section; it names the folder "
                        "that holds versions/",
                        config.string()));
    Settings settings;
    settings.config = config;
    // script_location is relative to the configuration file, like the file `init` writes.
    settings.versions = config.parent_path() / *location / "versions";
    if (const char* env = std::getenv("DATABASE_URL"); env && *env) settings.url = env;
    else if (auto url = tree.get_optional<std::string>("alchemy.url"); url && !url->empty())
        settings.url = *url;
    return settings;
}

std::string shown(const std::optional<std::string>& revision) { return revision.value_or("<base>"); }

class Tool {
public:
    Tool(const Options& options, const MetaData& metadata, std::ostream& out, std::ostream& err)
        : options_(options), metadata_(metadata), out_(out), err_(err) {}

    int run() {
        const auto name = options_.command->name;
        if (name == "init") return init();
        settings_ = read_settings(options_.config);
        if (name == "revision") return revision();
        if (name == "upgrade") return migrate(Direction::upgrade);
        if (name == "downgrade") return migrate(Direction::downgrade);
        if (name == "current") return current();
        if (name == "history") return history();
        if (name == "heads") return heads();
        if (name == "stamp") return stamp();
        return check();
    }

private:
    int init() {
        const fs::path dir = *options_.argument;
        const auto& config = options_.config;
        std::error_code ec;
        if (fs::exists(config, ec))
            throw Error(fmt::format("alchemy: {} already exists; init leaves it alone", config.string()));
        if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
            throw Error(fmt::format("alchemy: {} already exists and is not empty; init wants a new folder",
                                    dir.string()));
        fs::create_directories(dir / "versions");
        const auto location = fs::proximate(dir, fs::absolute(config).parent_path()).generic_string();
        std::ofstream ini(config);
        ini << "# alchemy migrations: written by `init`, read by the other commands.\n"
               "[alchemy]\n"
               "# The folder that holds versions/ (relative to this file).\n"
            << "script_location = " << location << "\n"
            << "# The database. The DATABASE_URL environment variable, when set, is used instead.\n"
            << "url = " << default_url << "\n";
        ini.close();
        if (!ini) throw Error(fmt::format("alchemy: cannot write {}", config.string()));
        out_ << fmt::format("Created {}/ for the revision files.\n", (dir / "versions").string());
        out_ << fmt::format(
            "Wrote {} with url = {}: set it to your database (or set DATABASE_URL) "
            "before the other commands.\n",
            config.string(), default_url);
        return 0;
    }

    int revision() {
        const auto chain = load_revisions(settings_.versions);
        const auto parent = chain.empty() ? std::nullopt : std::optional(chain.back().id);
        if (!options_.autogenerate) {
            const auto written = write_revision(settings_.versions, *options_.message, parent, {}, {});
            out_ << fmt::format("Generating {} ... done\n", written.path.string());
            return 0;
        }
        auto engine = open();
        require_at_head(engine, chain);
        const auto plan = compare(engine);
        if (plan.empty() && !options_.allow_empty) {
            out_ << "No changes in schema detected.\n";
            return 0;
        }
        std::vector<std::string> notes = plan.changes;
        for (const auto& warning : plan.warnings) notes.push_back("review: " + warning);
        const auto written = write_revision(settings_.versions, *options_.message, parent, plan.upgrade,
                                            plan.downgrade, notes);
        out_ << fmt::format("Generating {} ... done\n", written.path.string());
        if (!plan.warnings.empty())
            out_ << "Review the file before you run it: autogenerate left notes for you there.\n";
        return 0;
    }

    int migrate(Direction direction) {
        const auto chain = load_revisions(settings_.versions);
        std::string target = *options_.argument;
        auto engine = make_engine();
        std::optional<std::string> from;
        if (const auto colon = target.find(':'); colon != std::string::npos) {
            // Offline range, as Alembic has it: no database is consulted.
            if (!options_.sql)
                throw UsageError(
                    fmt::format("alchemy: the range {} is for --sql (offline) mode; online, "
                                "the database's own revision is the start",
                                target));
            from = resolve_revision(chain, target.substr(0, colon));
            target = target.substr(colon + 1);
        } else {
            check_connection(engine);
            from = current_revision(engine);
        }
        const auto steps = plan(chain, from, direction, target);
        if (options_.sql) {
            out_ << render_script(engine.dialect(), steps);
            return 0;
        }
        if (steps.empty()) {
            out_ << fmt::format("Nothing to do: the database is already at {}.\n", shown(from));
            return 0;
        }
        const Step* running = nullptr;
        Progress progress;
        progress.starting = [&](const Step& step) { running = &step; };
        progress.finished = [&](const Step& step, std::chrono::milliseconds elapsed) {
            out_ << fmt::format("Running {} {} -> {}, {} ({} ms)\n",
                                direction == Direction::upgrade ? "upgrade" : "downgrade", shown(step.from),
                                shown(step.to), step.revision.message, elapsed.count());
            out_.flush();
        };
        try {
            migrate::run(engine, steps, progress);
        } catch (const std::exception& e) {
            if (!running) throw;
            // Read again rather than assumed: another process may have moved the database
            // meanwhile (the failure may be just that).
            std::string now;
            try {
                now = fmt::format("the database is at {}", shown(current_revision(engine)));
            } catch (const std::exception& reading) {
                now = fmt::format("the database's revision could not be read again ({})", reading.what());
            }
            err_ << fmt::format(
                "alchemy: {} {} -> {} failed and was rolled back; {}.\n"
                "  revision file: {}\n  error: {}\n",
                direction == Direction::upgrade ? "upgrade" : "downgrade", shown(running->from),
                shown(running->to), now, running->revision.path.string(), e.what());
            return 1;
        }
        return 0;
    }

    int current() {
        const auto chain = load_revisions(settings_.versions);
        auto engine = open();
        const auto at = migrate::current(engine, settings_.versions);
        if (!at) {
            out_ << "<base>\n";
            return 0;
        }
        out_ << fmt::format("{}{}, {}\n", at->id, at->id == chain.back().id ? " (head)" : "", at->message);
        return 0;
    }

    int history() {
        const auto chain = load_revisions(settings_.versions);
        for (auto it = chain.rbegin(); it != chain.rend(); ++it)
            out_ << fmt::format("{} -> {}{}, {}\n", shown(it->down_revision), it->id,
                                it == chain.rbegin() ? " (head)" : "", it->message);
        return 0;
    }

    int heads() {
        const auto chain = load_revisions(settings_.versions);
        if (!chain.empty()) out_ << fmt::format("{} (head), {}\n", chain.back().id, chain.back().message);
        return 0;
    }

    int stamp() {
        const auto chain = load_revisions(settings_.versions);
        const auto target = resolve_revision(chain, *options_.argument);
        auto engine = open();
        const auto from = current_revision(engine);
        migrate::stamp(engine, target);
        out_ << fmt::format("Running stamp {} -> {}\n", shown(from), shown(target));
        return 0;
    }

    int check() {
        const auto chain = load_revisions(settings_.versions);
        auto engine = open();
        require_at_head(engine, chain);
        const auto plan = compare(engine);
        if (plan.empty()) {
            out_ << "No new upgrade operations detected.\n";
            return 0;
        }
        out_ << "New upgrade operations detected:\n";
        for (const auto& change : plan.changes) out_ << "  " << change << '\n';
        out_ << "Write them into a revision with `revision --autogenerate -m MSG`.\n";
        return 1;
    }

    /// Connects once up front, so an unreachable database is reported as such before
    /// anything is read or written.
    void check_connection(Engine& engine) {
        try {
            auto conn = engine.connect();
        } catch (const OperationalError& e) {
            throw Error(fmt::format("alchemy: cannot connect to {}: {}", engine.url(), e.what()));
        }
    }

    Engine make_engine() {
        if (!settings_.url)
            throw Error(
                fmt::format("alchemy: no database URL; set url in the [alchemy] section of {} or the "
                            "DATABASE_URL environment variable",
                            settings_.config.string()));
        return create_engine(*settings_.url);
    }

    Engine open() {
        auto engine = make_engine();
        check_connection(engine);
        return engine;
    }

    void require_at_head(Engine& engine, const std::vector<Revision>& chain) {
        const auto at = current_revision(engine);
        const auto head = chain.empty() ? std::nullopt : std::optional(chain.back().id);
        if (at != head)
            throw Error(fmt::format(
                "alchemy: the database is not up to date: run upgrade head first (it is at {}, the "
                "head is {})",
                shown(at), shown(head)));
    }

    /// The live schema (without the version table) against the models.
    Plan compare(Engine& engine) {
        const std::array<std::string, 1> exclude{std::string(version_table)};
        auto plan = autogenerate(inspect(engine, exclude), metadata_, engine.dialect());
        for (const auto& change : plan.changes) out_ << "Detected " << change << '\n';
        for (const auto& warning : plan.warnings) err_ << "warning: " << warning << '\n';
        return plan;
    }

    const Options& options_;
    const MetaData& metadata_;
    std::ostream& out_;
    std::ostream& err_;
    Settings settings_;
};

/// Library messages already start with "alchemy: "; driver messages get it added.
void report(std::ostream& err, std::string_view message) {
    if (!message.starts_with("alchemy: ")) err << "alchemy: ";
    err << message << '\n';
}

}  // namespace

int main(int argc, char** argv, const MetaData& metadata, std::ostream& out, std::ostream& err) {
    const std::string program =
        argc > 0 && argv[0] ? fs::path(argv[0]).filename().string() : std::string("migrate");
    try {
        const auto options = parse(argc, argv);
        if (options.help) {
            out << usage(program);
            return 0;
        }
        return Tool(options, metadata, out, err).run();
    } catch (const UsageError& e) {
        report(err, e.what());
        err << fmt::format("Run `{} --help` for the commands.\n", program);
        return 2;
    } catch (const po::error& e) {
        report(err, e.what());
        err << fmt::format("Run `{} --help` for the commands.\n", program);
        return 2;
    } catch (const std::exception& e) {
        report(err, e.what());
        return 1;
    }
}

int main(int argc, char** argv, const MetaData& metadata) {
    return main(argc, argv, metadata, std::cout, std::cerr);
}

}  // namespace alchemy::migrate
