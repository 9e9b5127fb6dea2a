import AkashiDomain
import Foundation

enum JournalEventFactory {
    /// The current time as a JST timestamp.
    static var now: Timestamp { Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)) }

    static func test(id: String) -> JournalEvent {
        JournalEvent(id: id, at: now, kind: "test.append")
    }
}
