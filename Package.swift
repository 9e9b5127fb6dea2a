// swift-tools-version:6.1
import PackageDescription

/// Settings every Akashi target shares (STYLE.md convention 1).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "akashi",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "akashi", targets: ["akashi"]),
        .library(name: "AkashiDomain", targets: ["AkashiDomain"]),
        .library(name: "AkashiLedger", targets: ["AkashiLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The register domain: values and rules, no I/O.
        .target(name: "AkashiDomain", swiftSettings: swiftSettings),
        // akashi-interchange/1: byte-level JSON, canonical encoding, record validation, gzip streams.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "AkashiInterchange", dependencies: ["AkashiDomain", "CZlib"], swiftSettings: swiftSettings),
        // The verifiable ledger: RFC 9162 Merkle tree, C2SP signed notes, checkpoints, tiles, receipts.
        .target(
            name: "AkashiLedger",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Storage protocol and the store-agnostic services (import pipeline, ledger sequencing).
        .target(
            name: "AkashiStorage",
            dependencies: ["AkashiDomain", "AkashiInterchange", "AkashiLedger", "AkashiAudit"],
            swiftSettings: swiftSettings
        ),
        // The embedded store: SQLite through GRDB.
        .target(
            name: "AkashiSQLite",
            dependencies: [
                "AkashiStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The server store: PostgreSQL (and Citus) through postgres-nio, beside the embedded one, behind the same protocols.
        .target(
            name: "AkashiPostgres",
            dependencies: [
                "AkashiStorage", "AkashiDomain", "AkashiInterchange", "AkashiLedger", "AkashiAudit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The synthetic city: a realistic Osaka in interchange format.
        .target(name: "AkashiCity", dependencies: ["AkashiDomain", "AkashiInterchange"], swiftSettings: swiftSettings),
        // The audit engine: explains accesses from the business documents, ranks what it cannot explain.
        .target(name: "AkashiAudit", dependencies: ["AkashiDomain"], swiftSettings: swiftSettings),
        // The web app: clerk workspace, auditor console, JSON API, ledger tiles (Hummingbird + Mustache).
        .target(
            name: "AkashiWeb",
            dependencies: [
                "AkashiDomain", "AkashiInterchange", "AkashiLedger", "AkashiStorage", "AkashiAudit", "AkashiReports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Templates"), .copy("Static")],
            swiftSettings: swiftSettings
        ),
        // What auditors and residents receive: disclosure reports (開示請求), self-report reconciliation, 本人通知.
        .target(
            name: "AkashiReports",
            dependencies: ["AkashiDomain", "AkashiInterchange", "AkashiLedger", "AkashiStorage", "AkashiAudit"],
            swiftSettings: swiftSettings
        ),
        // The command tree (thin: parse, configure, call a library).
        .target(
            name: "AkashiCLI",
            dependencies: [
                "AkashiDomain", "AkashiInterchange", "AkashiLedger", "AkashiStorage", "AkashiSQLite", "AkashiPostgres",
                "AkashiCity", "AkashiAudit", "AkashiWeb", "AkashiReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "akashi", dependencies: ["AkashiCLI"], swiftSettings: swiftSettings),

        .testTarget(name: "AkashiInterchangeTests", dependencies: ["AkashiInterchange", "AkashiDomain"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AkashiLedgerTests",
            dependencies: ["AkashiLedger"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AkashiStoreTests",
            dependencies: [
                "AkashiStorage", "AkashiSQLite", "AkashiPostgres", "AkashiCity", "AkashiInterchange", "AkashiAudit",
                "AkashiLedger", "AkashiDomain", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AkashiWebTests",
            dependencies: [
                "AkashiWeb", "AkashiSQLite", "AkashiPostgres", "AkashiStorage", "AkashiCity", "AkashiReports", "AkashiAudit",
                "AkashiDomain", "AkashiInterchange", "AkashiLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AkashiReportsTests",
            dependencies: [
                "AkashiReports", "AkashiSQLite", "AkashiStorage", "AkashiCity", "AkashiLedger", "AkashiAudit",
                "AkashiDomain", "AkashiInterchange",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "AkashiAuditTests", dependencies: ["AkashiAudit", "AkashiDomain"], swiftSettings: swiftSettings),
        .testTarget(name: "AkashiCityTests", dependencies: ["AkashiCity", "AkashiInterchange", "AkashiDomain"], swiftSettings: swiftSettings),
    ]
)
