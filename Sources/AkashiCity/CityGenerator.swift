import AkashiDomain
import AkashiInterchange
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed incident a generated city can carry.
public enum CityScenario: String, Sendable, CaseIterable {
    /// Osaka 2014: a 大正区 clerk and a 淀川区 clerk opened the mayor's register with no business reason.
    case osaka2014 = "osaka-2014"
}

/// What to generate.
public struct CityConfig: Sendable {
    /// 1.0 = the real city (about 1.167 million current registers, 980 staff with access).
    public var scale: Double = 1.0
    public var seed: UInt64 = 1
    /// The workload period (inclusive).
    public var from: LocalDate = LocalDate(year: 2009, month: 4, day: 1)!
    public var to: LocalDate = LocalDate(year: 2014, month: 3, day: 31)!
    /// Plant labelled misuse of every kind.
    public var misuse: Bool = false
    public var scenario: CityScenario? = nil

    public init(scale: Double = 1.0, seed: UInt64 = 1,
                from: LocalDate = LocalDate(year: 2009, month: 4, day: 1)!,
                to: LocalDate = LocalDate(year: 2014, month: 3, day: 31)!,
                misuse: Bool = false, scenario: CityScenario? = nil) {
        self.scale = scale
        self.seed = seed
        self.from = from
        self.to = to
        self.misuse = misuse
        self.scenario = scenario
    }

    /// The period actually generated: the scenario's history window (2009-12-14 … 2014-02-07) is always covered.
    public var effectivePeriod: (from: LocalDate, to: LocalDate) {
        var f = from, t = to
        if t < f { swap(&f, &t) }
        if scenario == .osaka2014 {
            f = min(f, LocalDate(year: 2009, month: 12, day: 14)!)
            t = max(t, LocalDate(year: 2014, month: 2, day: 7)!)
        }
        return (f, t)
    }
}

/// What a run wrote.
public struct CitySummary: Sendable {
    public var offices = 0
    public var staff = 0
    public var registers = 0
    public var persons = 0
    public var protections = 0
    public var cases = 0
    public var access = 0
    public var selfReports = 0
    /// Paths of the files written.
    public var files: [String] = []
    /// Planted misuse events (labelled in truth.json).
    public var misuseEvents = 0
    /// Legitimate accesses that no case explains (counter consultations).
    public var legitUnexplained = 0
    /// The period generated.
    public var from: LocalDate
    public var to: LocalDate

    public init(from: LocalDate, to: LocalDate) {
        self.from = from
        self.to = to
    }
}

/// Generates a synthetic Osaka City in akashi-interchange/1 with labelled truth.
public struct CityGenerator {
    public let config: CityConfig

    public init(config: CityConfig) { self.config = config }

    /// Writes the city into `directory` (created if missing). Deterministic for a config.
    public func write(to directory: String, progress: ((String) -> Void)? = nil) throws -> CitySummary {
        try makeDirectory(directory)
        let engine = Engine(config: config, directory: directory, progress: progress ?? { _ in })
        return try engine.run()
    }

    private func makeDirectory(_ path: String) throws {
        var acc = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            acc += part + "/"
            if mkdir(acc, 0o755) != 0 && errno != EEXIST {
                throw FileError(path: acc, "cannot create directory: \(String(cString: strerror(errno)))")
            }
        }
    }
}
