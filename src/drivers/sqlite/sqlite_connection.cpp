// Statement cache and script execution for one SQLite connection.
#include "drivers/sqlite/sqlite_connection.hpp"

#include "drivers/sqlite/sqlite_errors.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace alchemy::detail::sqlite {
namespace {

struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};

std::string_view trim_leading_space(std::string_view text) noexcept {
    const auto first =
        std::find_if(text.begin(), text.end(), [](unsigned char c) { return !std::isspace(c); });
    return text.substr(static_cast<std::size_t>(first - text.begin()));
}

}  // namespace

SqliteConnection::SqliteConnection(sqlite3* db, std::size_t statement_capacity, std::string begin) noexcept
    : capacity_(statement_capacity), begin_(std::move(begin)) {
    handle_.db = db;
}

SqliteConnection::~SqliteConnection() {
    // Statements first: a handle with live statements would only close as a zombie.
    recent_ = {};
    cache_.clear();
    sqlite3_close_v2(handle_.db);
}

// A SQLite query computes each row when next() steps to it and buffers none
// (SqliteStatement::start steps to the first row only; only a statement that writes has
// its RETURNING rows, which SQLite computed in that first step, read ahead). An executed
// query still answers as of its statement, as on PostgreSQL: a statement that may change
// its rows first reads the rest ahead.
Cursor& SqliteConnection::execute(std::string_view sql, std::span<const Param> params) {
    auto& statement = idle_statement_for(sql);
    statement.start(params);
    statement.keep_rows_as_of_start();
    return statement;
}

// A streamed query steps lazily to its end, in the memory of a row, whatever runs on the
// connection meanwhile: a change to the tables it reads leaves its rows undefined.
Cursor& SqliteConnection::stream(std::string_view sql, std::span<const Param> params) {
    auto& statement = idle_statement_for(sql);
    statement.start(params);
    return statement;
}

bool SqliteConnection::only_reads(std::string_view sql) { return idle_statement_for(sql).only_reads(); }

SqliteConnection::CacheNode* SqliteConnection::cached(std::string_view sql) noexcept {
    auto& recent = recent_[(reinterpret_cast<std::uintptr_t>(sql.data()) >> 4) % recent_.size()];
    // The text is compared as well: another text may have come to live at that address.
    if (recent.text == sql.data() && recent.node && recent.node->first == sql) return recent.node;
    const auto found = cache_.find(sql);
    if (found == cache_.end()) return nullptr;
    recent = {sql.data(), &*found};
    return &*found;
}

SqliteStatement& SqliteConnection::idle_statement_for(std::string_view sql) {
    CacheNode* found = cached(sql);
    if (found) {
        auto& statements = found->second.statements;
        found->second.last_used = ++use_clock_;
        const auto idle = std::find_if(statements.begin(), statements.end(),
                                       [](const auto& statement) { return !statement->in_use(); });
        if (idle != statements.end()) return **idle;
        // The SQL is open in a cursor: a second statement serves this nested use and stays
        // cached for the next one.
        statements.push_back(std::make_unique<SqliteStatement>(handle_, sql));
    } else {
        // Prepare before inserting, so SQL that fails to compile leaves no entry behind.
        auto statement = std::make_unique<SqliteStatement>(handle_, sql);
        found = &*cache_.try_emplace(std::string(sql)).first;
        found->second.last_used = ++use_clock_;
        found->second.statements.push_back(std::move(statement));
    }
    ++statement_count_;
    evict_beyond_capacity(found->second);
    return *found->second.statements.back();
}

void SqliteConnection::evict_beyond_capacity(const CacheEntry& keep) noexcept {
    const auto all_idle = [](const CacheEntry& entry) {
        return std::none_of(entry.statements.begin(), entry.statements.end(),
                            [](const auto& statement) { return statement->in_use(); });
    };
    // A linear scan per eviction: it runs only on a cache miss, next to a prepare.
    while (statement_count_ > capacity_) {
        auto victim = cache_.end();
        for (auto it = cache_.begin(); it != cache_.end(); ++it) {
            if (&it->second == &keep || !all_idle(it->second)) continue;
            if (victim == cache_.end() || it->second.last_used < victim->second.last_used) victim = it;
        }
        if (victim == cache_.end()) return;
        statement_count_ -= victim->second.statements.size();
        for (auto& recent : recent_)
            if (recent.node == &*victim) recent = {};
        cache_.erase(victim);
    }
}

// Statement by statement rather than sqlite3_exec, so an error names the statement
// that failed instead of the whole script.
void SqliteConnection::execute_script(std::string_view sql) {
    // Transaction control runs for every transaction (a Session's too): keep it prepared
    // rather than parse it each time.
    if (sql == "BEGIN" || sql == "COMMIT" || sql == "ROLLBACK") {
        // A plain BEGIN takes its locks as the connect option says (sqlite_driver.cpp);
        // BEGIN DEFERRED (a read-only transaction) is not this text and stays deferred.
        auto& statement = idle_statement_for(sql == "BEGIN" ? std::string_view(begin_) : sql);
        try {
            statement.start({});
            while (statement.next()) {}
        } catch (...) {
            statement.close();
            throw;
        }
        statement.close();
        return;
    }
    std::string_view rest = sql;
    while (!rest.empty()) {
        if (rest.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            raise_error(handle_, SQLITE_TOOBIG, "the SQL script is longer than SQLite accepts", {});
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        const int code =
            sqlite3_prepare_v3(handle_.db, rest.data(), static_cast<int>(rest.size()), 0, &raw, &tail);
        const std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement(raw);
        if (code != SQLITE_OK)
            raise_error(handle_, code, sqlite3_errmsg(handle_.db), trim_leading_space(rest));
        // No statement means only blanks and comments were left.
        if (!statement) return;
        rest.remove_prefix(static_cast<std::size_t>(tail - rest.data()));
        SqliteStatement::before_running(handle_, statement.get());
        int step_code = SQLITE_ROW;
        while (step_code == SQLITE_ROW) step_code = sqlite3_step(statement.get());
        if (step_code != SQLITE_DONE)
            raise_error(handle_, step_code, sqlite3_errmsg(handle_.db), sqlite3_sql(statement.get()));
    }
}

// For tests and diagnostics only: a scan of the cache is fine.
std::size_t SqliteConnection::held_rows() const noexcept {
    std::size_t rows = 0;
    for (const auto& [sql, entry] : cache_)
        for (const auto& statement : entry.statements) rows += statement->held_rows();
    return rows;
}

bool SqliteConnection::in_transaction() const noexcept { return sqlite3_get_autocommit(handle_.db) == 0; }

bool SqliteConnection::has_written() const noexcept {
    // The flush writes to main; a write to temp or an attached database locks only that.
    return sqlite3_txn_state(handle_.db, "main") == SQLITE_TXN_WRITE;
}

bool SqliteConnection::ping() noexcept {
    return !handle_.broken && sqlite3_exec(handle_.db, "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
}

}  // namespace alchemy::detail::sqlite
