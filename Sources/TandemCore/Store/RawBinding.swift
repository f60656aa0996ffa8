import GRDB
import GRDBSQLite

/// A value bound straight to a SQLite statement.
enum RawValue {
    case null
    case integer(Int64)
    case text(String)
}

extension Statement {
    /// Runs this statement with `values`, binding them through SQLite's C API.
    ///
    /// Restoring a vault saves one row per entry; GRDB's generic argument
    /// path boxes every column on the way, which cost a third of a restore.
    /// Only statements that GRDB itself never runs are run this way.
    func runRaw(_ values: [RawValue], in db: Database) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(statement, position)
            case .integer(let number):
                code = sqlite3_bind_int64(statement, position, number)
            case .text(var text):
                code = text.withUTF8 { utf8 in
                    sqlite3_bind_text(statement, position, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                      Int32(utf8.count), transient)
                }
            }
            guard code == SQLITE_OK else { throw rawError(code, db) }
        }
        let result = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard result == SQLITE_DONE else { throw rawError(result, db) }
    }

    private func rawError(_ code: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }
}
