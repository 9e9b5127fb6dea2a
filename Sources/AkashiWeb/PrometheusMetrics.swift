import Metrics
import Foundation
import Synchronization

/// A small swift-metrics backend that keeps counters, gauges (meters, recorders) and timers in memory and renders
/// them in the Prometheus text exposition format (served at `/metrics`).
public final class PrometheusMetrics: MetricsFactory, Sendable {
    /// The process-wide instance; bootstrapped into `MetricsSystem` once by ``bootstrapOnce()``.
    public static let shared = PrometheusMetrics()
    private static let bootstrapped = Mutex(false)

    /// Makes this backend the process's metrics system (only the first call has an effect).
    public static func bootstrapOnce() {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(shared) }
    }

    /// Upper bounds of the timer histogram buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    final class Series: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler,
        @unchecked Sendable {
        enum Kind { case counter, gauge, timer }
        let name: String
        let labels: String
        let kind: Kind
        private let lock = NSLock()
        private var value: Double = 0
        private var counts = [Int](repeating: 0, count: PrometheusMetrics.buckets.count)
        private var count = 0
        private var sum: Double = 0

        init(name: String, labels: String, kind: Kind) {
            self.name = name
            self.labels = labels
            self.kind = kind
        }

        private func locked(_ body: () -> Void) {
            lock.lock()
            body()
            lock.unlock()
        }

        func increment(by amount: Int64) { locked { value += Double(amount) } }
        func increment(by amount: Double) { locked { value += amount } }
        func decrement(by amount: Double) { locked { value -= amount } }
        func reset() { locked { value = 0 } }
        func set(_ v: Int64) { locked { value = Double(v) } }
        func set(_ v: Double) { locked { value = v } }
        func record(_ v: Int64) { locked { value = Double(v) } }
        func record(_ v: Double) { locked { value = v } }
        func recordNanoseconds(_ duration: Int64) {
            let s = Double(duration) / 1e9
            locked {
                count += 1
                sum += s
                for (k, b) in PrometheusMetrics.buckets.enumerated() where s <= b { counts[k] += 1 }
            }
        }
        func preferDisplayUnit(_ unit: TimeUnit) {}

        func render(into out: inout String) {
            lock.lock()
            defer { lock.unlock() }
            func withLabels(_ extra: String?) -> String {
                let all = [labels, extra ?? ""].filter { !$0.isEmpty }.joined(separator: ",")
                return all.isEmpty ? "" : "{" + all + "}"
            }
            switch kind {
            case .counter, .gauge:
                out += name + withLabels(nil) + " " + PrometheusMetrics.number(value) + "\n"
            case .timer:
                for (k, b) in PrometheusMetrics.buckets.enumerated() {
                    out += name + "_bucket" + withLabels("le=\"\(PrometheusMetrics.number(b))\"") + " \(counts[k])\n"
                }
                out += name + "_bucket" + withLabels("le=\"+Inf\"") + " \(count)\n"
                out += name + "_sum" + withLabels(nil) + " " + PrometheusMetrics.number(sum) + "\n"
                out += name + "_count" + withLabels(nil) + " \(count)\n"
            }
        }
    }

    private let series = Mutex<[String: Series]>([:])

    public init() {}

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// `http.server.requests` → `http_server_requests`.
    static func sanitize(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private func handler(_ label: String, _ dimensions: [(String, String)], _ kind: Series.Kind) -> Series {
        let name = Self.sanitize(label) + (kind == .timer ? "_seconds" : "")
        let labels = dimensions.map { Self.sanitize($0.0) + "=\"" + Self.escape($0.1) + "\"" }.joined(separator: ",")
        let key = name + "{" + labels + "}"
        return series.withLock { all in
            if let s = all[key] { return s }
            let s = Series(name: name, labels: labels, kind: kind)
            all[key] = s
            return s
        }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler(label, dimensions, .counter)
    }
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        handler(label, dimensions, .counter)
    }
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handler(label, dimensions, .gauge)
    }
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label, dimensions, .gauge)
    }
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handler(label, dimensions, .timer)
    }
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    public func render() -> String {
        let all = series.withLock { Array($0.values) }.sorted { ($0.name, $0.labels) < ($1.name, $1.labels) }
        var out = ""
        var typed = Set<String>()
        for s in all {
            if typed.insert(s.name).inserted {
                let type = switch s.kind {
                case .counter: "counter"
                case .gauge: "gauge"
                case .timer: "histogram"
                }
                out += "# TYPE \(s.name) \(type)\n"
            }
            s.render(into: &out)
        }
        return out
    }
}
