import AkashiDomain
import AkashiStorage
import NIOCore
import PostgresNIO

extension PostgresSchema {
    /// The tables of this part of the store (see the SQLite store's matching file).
    static let console: [Migration] = []
}
