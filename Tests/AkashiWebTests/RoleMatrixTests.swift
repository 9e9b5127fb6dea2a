import AkashiAudit
import AkashiDomain
import AkashiLedger
import AkashiReports
import AkashiSQLite
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AkashiWeb

extension AllWebTests {
    /// Issue 18, "Prove, systematically", item 1: the role matrix of docs/security.md ("役割と経路 / Roles and
    /// routes"), as data, and one walk over it: every route × every column, each request made with that column's
    /// session, each answer checked against the cell. The table states the documented policy; where the application
    /// does not follow it, the check is a known issue (listed in `knownIssues` and in docs/security.md), not a weaker
    /// expectation. The walk runs on the embedded store and, when `AKASHI_TEST_POSTGRES` names a server, on the
    /// PostgreSQL store too: one walk (`walk(_:)`) over an app built by the same fixture on either store.
    @Suite("Role matrix (docs/security.md)")
    struct RoleMatrixTests {
        /// The columns, in the order of the table.
        enum Role: String, CaseIterable, Sendable, CustomStringConvertible {
            case clerk, supervisor, trainee, contractor, auditor, administrator
            /// A clerk whose assignment today is not register duty.
            case offDuty
            /// A clerk on register duty whose session has not acknowledged the banner.
            case unacknowledged
            /// No staff session: the resident's report cookie (after a one-time code) and, for `POST /resident`, a code.
            case resident
            /// There is no ingest endpoint: import is the `akashi import` command only. Every cell is "—".
            case ingest
            /// No session, no code, no account.
            case anonymous

            var description: String { rawValue }
            /// Roles that may take in cases (and so have cases of their own to name).
            var hasCases: Bool { [.clerk, .supervisor, .trainee, .contractor].contains(self) }
        }

        /// What a cell expects.
        enum Cell: Equatable, Sendable, CustomStringConvertible {
            /// Allowed with this status (200, 201, 204), or a status a public route gives this client (401 for a
            /// sign-in without an account, 403 for a resident page without a code, 404 for a report without one).
            case status(Int)
            /// Allowed: 303 to the row's next page.
            case next
            /// 303 → /signin (no staff session).
            case toSignIn
            /// 303 → /banner (the banner is not acknowledged).
            case toBanner
            /// 403, and the attempt journaled as `console.denied`.
            case denied
            /// No such client.
            case none

            init?(_ token: Substring) {
                switch token {
                case "303": self = .next
                case "→signin": self = .toSignIn
                case "→banner": self = .toBanner
                case "403†": self = .denied
                case "—": self = .none
                default:
                    guard let n = Int(token), (200...599).contains(n), n != 303 else { return nil }
                    self = .status(n)
                }
            }

            var description: String {
                switch self {
                case let .status(n): String(n)
                case .next: "303"
                case .toSignIn: "→signin"
                case .toBanner: "→banner"
                case .denied: "403†"
                case .none: "—"
                }
            }
        }

        /// The body of a request; `{name}` placeholders are filled per column.
        enum Body: Sendable {
            case none
            /// urlencoded; a web POST also carries the session's CSRF token.
            case form([String: String])
            /// A JSON template.
            case json(String)
        }

        /// How a check is made when it is not a plain request with the column's session.
        enum Flow: Sendable {
            case plain
            /// The request ends or changes its session (sign-out, acknowledging): a throwaway session of the column.
            case fresh
            /// The sign-in form: its pre-session token first, then the column's own account (none: an unknown ID).
            case signIn
            /// The API login with the column's own account (none: an unknown ID).
            case login
            /// The resident form: its pre-session token first, then the column's one-time code (anonymous: none).
            case resident
            /// The request replaces the banner (a plain request; the walk notices the new version and has every
            /// acknowledged session acknowledge it before the next column).
            case changesBanner
        }

        struct Row: Sendable {
            /// As docs/security.md names the row.
            var label: String
            /// As the router registered it (`GET /ledger/**`).
            var route: String
            var uri: String
            var body: Body
            /// Where an allowed 303 leads (a prefix).
            var next: String?
            var flow: Flow
            var cells: [Cell]

            var method: HTTPRequest.Method { label.hasPrefix("POST ") ? .post : .get }
            var isAPI: Bool { label.contains(" /api/v1/") }
        }

        /// A row: its label, its cells in column order (clerk … anonymous), and how to ask.
        static func r(_ label: String, _ cells: String, uri: String? = nil, route: String? = nil, body: Body? = nil,
                      next: String? = nil, flow: Flow = .plain) -> Row {
            let parts = label.split(separator: " ")
            let path = String(parts[1])
            let method = String(parts[0])
            return Row(label: label, route: route ?? "\(method) \(path)", uri: uri ?? path,
                       body: body ?? (method == "POST" && !path.hasPrefix("/api/") ? .form([:]) : .none), next: next,
                       flow: flow, cells: cells.split(separator: " ", omittingEmptySubsequences: true).map {
                           Cell($0) ?? .status(-1)
                       })
        }

        static let consoleDenied = "403† 403† 403† 403† "

        /// The table of docs/security.md, row for row. Columns:
        /// clerk supervisor trainee contractor auditor administrator off-duty-clerk unacknowledged resident ingest anonymous
        static let rows: [Row] = [
            // Public and operations
            r("GET /healthz", "200 200 200 200 200 200 200 200 200 — 200"),
            r("GET /static/akashi.css", "200 200 200 200 200 200 200 200 200 — 200"),
            r("GET /static/print.js", "200 200 200 200 200 200 200 200 200 — 200"),
            r("GET /metrics", "403 403 403 403 200 403 403 403 401 — 401"),
            r("GET /ledger/checkpoint", "200 200 200 200 200 200 200 200 200 — 200", route: "GET /ledger/**"),
            r("GET /ledger/tile/{L}/{N}", "200 200 200 200 200 200 200 200 200 — 200", uri: "/ledger/tile/0/000",
              route: "GET /ledger/**"),
            r("GET /ledger/tile/entries/{N}", "403† 403† 403† 403† 200 403† 403† 403† 401 — 401",
              uri: "/ledger/tile/entries/000", route: "GET /ledger/**"),
            // Sign-in and banner
            r("GET /", "303 303 303 303 303 303 303 303 →signin — →signin", next: "/menu"),
            r("GET /signin", "200 200 200 200 200 200 200 200 200 — 200"),
            r("POST /signin", "303 303 303 303 303 303 303 303 401 — 401", next: "/banner", flow: .signIn),
            r("POST /signout", "303 303 303 303 303 303 303 303 →signin — →signin", next: "/signin?signedout=1", flow: .fresh),
            r("GET /banner", "200 200 200 200 200 200 200 200 →signin — →signin"),
            r("POST /banner/acknowledge", "303 303 303 303 303 303 303 303 →signin — →signin", next: "/menu", flow: .fresh),
            r("GET /menu", "200 200 200 200 200 200 200 →banner →signin — →signin"),
            // Cases
            r("GET /cases/new", "200 200 200 200 403 403 403 →banner →signin — →signin"),
            r("POST /cases", "303 303 303 303 403 403 403 →banner →signin — →signin",
              body: .form(["kind": "certificate.full", "requester": "self", "requesterName": "役割 確認", "registers": "{register}"]),
              next: "/cases/"),
            r("GET /cases/{id}", "200 200 200 200 404 404 404 →banner →signin — →signin", uri: "/cases/{cert}"),
            r("GET /cases/{id}/close", "200 200 200 200 403 403 403 →banner →signin — →signin",
              uri: "/cases/{closeWeb}/close?status=done"),
            r("POST /cases/{id}/close", "303 303 303 303 403 403 403 →banner →signin — →signin", uri: "/cases/{closeWeb}/close",
              body: .form(["status": "done"]), next: "/cases/"),
            r("POST /cases/{id}/registers", "303 303 303 303 403 403 403 →banner →signin — →signin", uri: "/cases/{cert}/registers",
              body: .form(["register": "{register}"]), next: "/cases/"),
            // Registers
            r("GET /search", "200 200 200 200 403 403 403 →banner →signin — →signin", uri: "/search?name={surname}&csrf={csrf}"),
            r("GET /registers/{id}/open", "200 200 200 200 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/open?case={cert}"),
            r("POST /registers/{id}/view (case)", "303 303 303 303 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/view", route: "POST /registers/{id}/view",
              body: .form(["record": "current", "case": "{cert}"]), next: "/registers/"),
            r("POST /registers/{id}/view (reason)", "303 303 403 403 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/view", route: "POST /registers/{id}/view",
              body: .form(["record": "current", "category": "other", "reason": "{reason}", "confirm": "1",
                           "password": Fixture.password]), next: "/registers/"),
            r("GET /registers/{id}/view/{token}", "200 200 200 200 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/view/{viewToken}"),
            r("POST /registers/{id}/issue", "303 303 403 303 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/issue", body: .form(["case": "{cert}", "copies": "1"]), next: "/cases/"),
            r("GET /cases/{id}/issuances/{number}", "200 200 404 200 404 404 404 →banner →signin — →signin",
              uri: "/cases/{issuedCase}/issuances/{issuance}"),
            r("GET /cases/{id}/issuances/{number}/print", "200 200 403 200 403 403 403 →banner →signin — →signin",
              uri: "/cases/{issuedCase}/issuances/{issuance}/print"),
            r("GET /registers/{id}/update", "200 200 403 403 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/update?case={notif}"),
            r("POST /registers/{id}/update", "303 303 403 403 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/update", body: .form(["case": "{notif}", "childName": "役割 一郎", "childSex": "M",
                                                                 "childBirth": "2026-12-01", "birthPlace": "大阪市"]),
              next: "/registers/"),
            r("GET /registers/{id}/update/{token}", "200 200 403 403 403 403 403 →banner →signin — →signin",
              uri: "/registers/{register}/update/{updateToken}"),
            // Approvals (附票 under DV support)
            r("POST /approvals", "303 303 303 303 403 403 403 →banner →signin — →signin",
              body: .form(["register": "{register}", "case": "{cert}"]), next: "/approval-requests/"),
            r("GET /approval-requests", "200 200 200 200 403 403 200 →banner →signin — →signin"),
            r("GET /approval-requests/{id}", "200 200 200 200 403 403 404 →banner →signin — →signin",
              uri: "/approval-requests/{myApproval}"),
            r("GET /approvals", "403 200 403 403 403 403 403 →banner →signin — →signin"),
            r("GET /office", "403 200 403 403 403 403 403 →banner →signin — →signin"),
            r("POST /approvals/{id}/approve", "403 303 403 403 403 403 403 →banner →signin — →signin",
              uri: "/approvals/{approvalWebApprove}/approve", next: "/approvals"),
            r("POST /approvals/{id}/deny", "403 303 403 403 403 403 403 →banner →signin — →signin",
              uri: "/approvals/{approvalWebDeny}/deny", body: .form(["note": "役割表の確認のための却下"]), next: "/approvals"),
            // Audit landing, administration, self-report survey
            r("GET /audit", "403 403 403 403 200 403 403 →banner →signin — →signin"),
            r("GET /audit/journal", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /admin", "403 403 403 403 403 200 403 →banner →signin — →signin"),
            r("POST /admin/banner", "403 403 403 403 403 303 403 →banner →signin — →signin",
              body: .form(["ja": "{bannerJa}", "en": "{bannerEn}"]), next: "/admin", flow: .changesBanner),
            r("GET /survey", "200 200 200 200 200 200 200 →banner →signin — →signin"),
            r("POST /survey", "303 303 303 303 303 303 303 →banner →signin — →signin", body: .form(["declares": "none"]),
              next: "/survey"),
            // Auditor console
            r("GET /console", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /console/findings/{access}", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/findings/{finding}"),
            r("GET /console/staff", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /console/staff/{id}", consoleDenied + "200 403† 403† →banner →signin — →signin", uri: "/console/staff/{staff}"),
            r("GET /console/persons", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /console/persons/{id}", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/persons/{person}"),
            r("GET /console/registers/{id}", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/registers/{register}"),
            r("GET /console/investigations", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/investigations", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["staff": "{staff}", "title": "役割表の確認"]), next: "/console/investigations/"),
            r("GET /console/investigations/{id}", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/investigations/{investigation}"),
            r("POST /console/investigations/{id}/assign", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/investigations/{investigation}/assign", body: .form(["assignee": "{auditor}"]),
              next: "/console/investigations/"),
            r("POST /console/investigations/{id}/entries", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/investigations/{investigation}/entries", body: .form(["kind": "note", "text": "役割表の確認メモ"]),
              next: "/console/investigations/"),
            r("POST /console/investigations/{id}/disposition", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/investigations/{investigation}/disposition", body: .form(["disposition": "interview"]),
              next: "/console/investigations/"),
            r("POST /console/investigations/{id}/reopen", consoleDenied + "409 403† 403† →banner →signin — →signin",
              uri: "/console/investigations/{investigation}/reopen", body: .form(["reason": "役割表の確認"])),
            r("GET /console/files/{entry}", consoleDenied + "200 403† 403† →banner →signin — →signin", uri: "/console/files/{file}"),
            r("GET /console/suppressions", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/suppressions/{id}/decision", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/suppressions/{suppression}/decision", body: .form(["decision": "confirm"]),
              next: "/console/suppressions"),
            r("GET /console/alerts", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/alerts/seen", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["top": "999999999"]), next: "/console/alerts"),
            r("GET /console/accesses/{access}", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/accesses/{finding}", next: "/console/findings/"),
            r("GET /console/dashboard", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /console/disclosure", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("GET /console/disclosure/report.html", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/disclosure/report.html?kind=person&subject={person}&from=2000-01-01&to={today}"),
            r("GET /console/disclosure/report.json", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/disclosure/report.json?kind=person&subject={person}&from=2000-01-01&to={today}"),
            r("GET /console/disclosure/report.csv", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/disclosure/report.csv?kind=person&subject={person}&from=2000-01-01&to={today}"),
            r("POST /console/disclosure/letter", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["kind": "person", "subject": "{person}", "from": "2000-01-01", "to": "{today}"]),
              next: "/console/disclosure/letter/"),
            r("GET /console/disclosure/letter/{token}", consoleDenied + "200 403† 403† →banner →signin — →signin",
              uri: "/console/disclosure/letter/{letterToken}"),
            r("POST /console/disclosure/codes/revoke", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["code": "{codeHash}", "subject": "{person}", "from": "2000-01-01", "to": "{today}"]),
              next: "/console/disclosure?"),
            r("GET /console/survey", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/survey", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["survey": "{survey}"]), next: "/console/survey"),
            r("POST /console/survey/close", consoleDenied + "303 403† 403† →banner →signin — →signin", next: "/console/survey"),
            r("GET /console/notices", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/notices/produce", consoleDenied + "303 403† 403† →banner →signin — →signin", next: "/console/notices"),
            r("POST /console/notices/registrations", consoleDenied + "303 403† 403† →banner →signin — →signin",
              body: .form(["person": "{person}", "address": "大阪市北区中之島1-3-20"]), next: "/console/notices?registered="),
            r("GET /console/notices/print", consoleDenied + "200 403† 403† →banner →signin — →signin"),
            r("POST /console/notices/{id}/sent", consoleDenied + "303 403† 403† →banner →signin — →signin",
              uri: "/console/notices/{notice}/sent", next: "/console/notices"),
            // Resident pages (public; a one-time code)
            r("GET /resident", "200 200 200 200 200 200 200 200 200 — 200"),
            r("POST /resident", "303 303 303 303 303 303 303 303 303 — 403", next: "/resident/history", flow: .resident),
            r("GET /resident/history", "404 404 404 404 404 404 404 404 200 — 404"),
            r("GET /resident/report.json", "404 404 404 404 404 404 404 404 200 — 404"),
            // JSON API
            r("GET /api/v1/openapi.yaml", "200 200 200 200 200 200 200 200 200 — 200"),
            r("GET /api/v1/ledger/checkpoint", "200 200 200 200 200 200 200 200 200 — 200"),
            r("POST /api/v1/login", "200 200 200 200 200 200 200 200 401 — 401", flow: .login),
            r("POST /api/v1/logout", "204 204 204 204 204 204 204 204 401 — 401", flow: .fresh),
            r("GET /api/v1/banner", "200 200 200 200 200 200 200 200 401 — 401"),
            r("POST /api/v1/banner/acknowledge", "204 204 204 204 204 204 204 204 401 — 401", flow: .fresh),
            r("GET /api/v1/me", "200 200 200 200 200 200 200 428 401 — 401"),
            r("POST /api/v1/cases", "201 201 201 201 403 403 403 428 401 — 401",
              body: .json(#"{"kind":"certificate.full","requester":"self","requesterName":"役割 確認","registers":["{register}"]}"#)),
            r("GET /api/v1/cases", "200 200 200 200 403 403 200 428 401 — 401"),
            r("GET /api/v1/cases/{id}", "200 200 200 200 404 404 404 428 401 — 401", uri: "/api/v1/cases/{cert}"),
            r("POST /api/v1/cases/{id}/close", "200 200 200 200 403 403 403 428 401 — 401", uri: "/api/v1/cases/{closeAPI}/close",
              body: .json(#"{"status":"done"}"#)),
            r("GET /api/v1/registers", "200 200 200 200 403 403 403 428 401 — 401", uri: "/api/v1/registers?name={surname}"),
            r("GET /api/v1/registers/{id} (case)", "200 200 200 200 403 403 403 428 401 — 401",
              uri: "/api/v1/registers/{register}?record=current&case={cert}", route: "GET /api/v1/registers/{id}"),
            r("GET /api/v1/registers/{id} (reason)", "200 200 403 403 403 403 403 428 401 — 401",
              uri: "/api/v1/registers/{register}?record=current&reason={reasonQ}", route: "GET /api/v1/registers/{id}"),
            r("POST /api/v1/registers/{id}/certificates", "201 201 403 201 403 403 403 428 401 — 401",
              uri: "/api/v1/registers/{register}/certificates", body: .json(#"{"case":"{cert}"}"#)),
            r("POST /api/v1/registers/{id}/updates", "201 201 403 403 403 403 403 428 401 — 401",
              uri: "/api/v1/registers/{register}/updates", body: .json(#"{"case":"{notif}"}"#)),
            r("POST /api/v1/approvals", "201 201 201 201 403 403 403 428 401 — 401",
              body: .json(#"{"register":"{register}","case":"{cert}"}"#)),
            r("GET /api/v1/approvals", "403 200 403 403 403 403 403 428 401 — 401"),
            r("POST /api/v1/approvals/{id}/approve", "403 200 403 403 403 403 403 428 401 — 401",
              uri: "/api/v1/approvals/{approvalAPIApprove}/approve"),
            r("POST /api/v1/approvals/{id}/deny", "403 200 403 403 403 403 403 428 401 — 401",
              uri: "/api/v1/approvals/{approvalAPIDeny}/deny"),
        ]

        /// Where the application does not do what the table says (docs/security.md, "現状との違い / Where the
        /// application differs"). Each such check runs inside `withKnownIssue`, so it fails once the behaviour is fixed.
        struct KnownIssue: Sendable {
            var label: String
            var roles: [Role]
            var actual: String
        }

        /// None now: the three the walk found at first (a non-auditor told to sign in for /metrics, the purpose form
        /// shown to roles that cannot open a register, the case list without a role check) are fixed.
        static let knownIssues: [KnownIssue] = []

        static func knownIssue(_ label: String, _ role: Role) -> KnownIssue? {
            knownIssues.first { $0.label == label && $0.roles.contains(role) }
        }

        // MARK: The table covers the router, and the doc states the same table

        @Test("the table has a row for every route the web app registers, and no row for a route it does not")
        func coversEveryRoute() async throws {
            let f = try await Fixture.shared.value
            let router = WebApp.router(workspace: f.workspace, templates: try await WebApp.templates())
            let registered = Set(router.routes.map(\.description))
            let tabled = Set(Self.rows.map(\.route))
            #expect(registered.subtracting(tabled).sorted() == [], "routes without a row in the role matrix")
            #expect(tabled.subtracting(registered).sorted() == [], "rows for routes the router does not have")
            #expect(Set(Self.rows.map(\.label)).count == Self.rows.count, "a row label is repeated")
            for row in Self.rows {
                #expect(row.cells.count == Role.allCases.count, "\(row.label): \(row.cells.count) cells")
                #expect(!row.cells.contains(.status(-1)), "\(row.label): a cell is not a known token")
                #expect(row.cells[Role.allCases.firstIndex(of: .ingest)!] == .none, "\(row.label): there is no ingest client")
                #expect(row.next != nil || !row.cells.contains(.next), "\(row.label): a 303 cell needs the next page")
            }
            for k in Self.knownIssues {
                #expect(Self.rows.contains { $0.label == k.label }, "known issue for an unknown row \(k.label)")
            }
        }

        @Test("docs/security.md states the same table, row for row and cell for cell")
        func docStatesTheTable() throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let doc = try String(contentsOf: root.appendingPathComponent("docs/security.md"), encoding: .utf8)
            let section = try #require(doc.range(of: "## 役割と経路 / Roles and routes"), "the section is missing")
            var rest = doc[section.upperBound...]
            if let end = rest.range(of: "\n## ") { rest = rest[..<end.lowerBound] }
            // The rows under the table's header line (the legend above it is a table too).
            let header = try #require(rest.range(of: "| 経路 route |"), "the table's header is missing")
            let lines = rest[header.upperBound...].split(separator: "\n").dropFirst(2).prefix { $0.hasPrefix("| `") }
            let table = lines.map { line -> (String, [String]) in
                let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                return (cells.first?.replacingOccurrences(of: "`", with: "") ?? "", Array(cells.dropFirst()))
            }
            #expect(table.map(\.0) == Self.rows.map(\.label))
            for (label, cells) in table {
                guard let row = Self.rows.first(where: { $0.label == label }) else { continue }
                #expect(cells == row.cells.map(\.description), "\(label)")
            }
            for k in Self.knownIssues {
                #expect(rest.contains("`\(k.label)`"), "docs/security.md does not list the known issue of \(k.label)")
            }
        }

        // MARK: The walk

        /// A column's client: its web session (cookies and CSRF token), its API bearer token, and what its placeholders
        /// stand for.
        struct Identity {
            var role: Role
            var staff: Staff?
            var web = Browser()
            var api = HTTPFields()
            var acknowledged = true
            var vars: [String: String] = [:]
        }

        static func fill(_ s: String, _ vars: [String: String]) -> String {
            var out = s
            for (k, v) in vars { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
            return out
        }

        static func unfilled(_ s: String) -> Bool { s.range(of: #"\{[A-Za-z]+\}"#, options: .regularExpression) != nil }

        static func formBody(_ form: [String: String]) -> String {
            form.sorted { $0.key < $1.key }.map { "\(Pages.urlEncoded($0.key))=\(Pages.urlEncoded($0.value))" }
                .joined(separator: "&")
        }

        /// What a response was, as a table cell would say it.
        static func describe(_ r: TestResponse) -> String {
            var s = String(r.status.code)
            if let loc = r.headers[.location] { s += " → " + loc }
            if let code = r.errorCode {
                s += " " + code
            } else if r.status.code >= 400, let m = r.text.range(of: #"<code>[a-z_]+</code>"#, options: .regularExpression) {
                s += " " + r.text[m].dropFirst(6).dropLast(7)
            }
            return s
        }

        /// Whether a response is what the cell says.
        static func matches(_ cell: Cell, _ r: TestResponse, next: String?, deniedJournaled: Bool) -> Bool {
            let location = r.headers[.location]
            let csrfRefusal = r.errorCode == "csrf_token_invalid" || r.text.contains("<code>csrf_token_invalid</code>")
            switch cell {
            case let .status(n): return Int(r.status.code) == n && !csrfRefusal
            case .next: return r.status == .seeOther && next.map { location?.hasPrefix($0) == true } == true
            case .toSignIn: return r.status == .seeOther && location == "/signin"
            case .toBanner: return r.status == .seeOther && location == "/banner"
            case .denied: return r.status == .forbidden && !csrfRefusal && deniedJournaled
            case .none: return true
            }
        }

        @Test("every route × every role answers as the table says (the embedded store)")
        func walk() async throws {
            try await Self.walk(try await Fixture.shared.value)
        }

        /// The same table and expectations on an app whose store is PostgreSQL: a fresh municipality of the server
        /// `AKASHI_TEST_POSTGRES` names, with the same city imported, so this run sees nothing of any other test's.
        @Test("every route × every role answers as the table says (the PostgreSQL store)",
              .enabled(if: TestPostgres.url != nil, "\(TestPostgres.skipReason)"))
        func walkPostgres() async throws {
            try await Self.walk(try await StoreFixture.make(.postgres))
        }

        /// The walk over every cell, on the app of a fixture (whatever its store).
        static func walk<S: ServerStore>(_ f: StoreFixture<S>) async throws {
            try await AuditOnce.shared.run(f)
            try await LedgerService(store: f.store).signCheckpoint(with: try NoteSigner.generate(name: "test.example/akashi"))
            try await f.app().test(.router) { client in
                var ids = try await Self.prepare(f, client)
                var checks = 0, known = 0
                for row in Self.rows {
                    for (k, role) in Role.allCases.enumerated() {
                        let cell = row.cells[k]
                        guard cell != .none, let who = ids[role] else { continue }
                        let before = try await f.store.ledgerSize()
                        let banner = f.workspace.currentBanner.version
                        let r = try await Self.request(row, who, client)
                        let deniedJournaled = try await f.appended(since: before).contains {
                            $0["kind"] as? String == "console.denied" && $0["staff"] as? String == who.staff?.id
                        }
                        let ok = Self.matches(cell, r, next: row.next, deniedJournaled: deniedJournaled)
                        let said = "\(row.label) as \(role): expected \(cell), got \(Self.describe(r))"
                            + (cell == .denied && r.status == .forbidden && !deniedJournaled ? " (no console.denied journaled)" : "")
                        checks += 1
                        if let issue = Self.knownIssue(row.label, role) {
                            known += 1
                            withKnownIssue("\(row.label) as \(role): expected \(cell), actual \(issue.actual)") {
                                #expect(ok, "\(said)")
                            }
                        } else {
                            #expect(ok, "\(said)")
                        }
                        // A new banner (the administrator's change): every acknowledged session acknowledges it, as
                        // its member of staff would, before the next column is asked.
                        if f.workspace.currentBanner.version != banner {
                            for (role, var who) in ids where who.staff != nil && who.acknowledged {
                                try await Self.acknowledge(&who, client)
                                ids[role] = who
                            }
                        }
                    }
                }
                print("role matrix on \(S.self): \(Self.rows.count) rows × \(Role.allCases.count) columns, \(checks) checks, \(known) known issues")
            }
        }

        /// Makes the row's request as the column.
        static func request(_ row: Row, _ who: Identity, _ client: some TestClientProtocol) async throws
            -> TestResponse {
            var vars = who.vars
            vars["csrf"] = who.web.csrf
            let uri = fill(row.uri, vars)
            #expect(!unfilled(uri), "\(row.label): \(uri)")
            switch row.flow {
            case .signIn:
                var b = who.web
                _ = try await b.get(client, "/signin")
                var h = b.headers
                h[.contentType] = "application/x-www-form-urlencoded"
                let form = ["csrf": b.csrf, "staff": who.staff?.id ?? "NOSUCH-ROLEMATRIX", "password": Fixture.password]
                return try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: formBody(form)))
            case .login:
                return try await client.login(who.staff?.id ?? "NOSUCH-ROLEMATRIX")
            case .resident:
                var b = who.web
                _ = try await b.get(client, "/resident")
                var h = b.headers
                h[.contentType] = "application/x-www-form-urlencoded"
                let form = ["csrf": b.csrf, "code": who.vars["code"] ?? ""]
                return try await client.execute(uri: uri, method: .post, headers: h, body: ByteBuffer(string: formBody(form)))
            case .fresh, .plain, .changesBanner:
                var web = who.web
                var api = who.api
                if row.flow == .fresh, let staff = who.staff {
                    if row.isAPI {
                        api = try await freshAPI(staff.id, acknowledge: who.acknowledged, client)
                    } else {
                        web = Browser()
                        try await web.signIn(client, staff.id, acknowledge: who.acknowledged)
                    }
                }
                var h = row.isAPI ? api : web.headers
                var body: ByteBuffer?
                switch row.body {
                case .none: break
                case let .form(form):
                    var filled = form.mapValues { fill($0, vars) }
                    if !web.csrf.isEmpty { filled["csrf"] = web.csrf }
                    let text = formBody(filled)
                    #expect(!unfilled(text.removingPercentEncoding ?? text), "\(row.label): \(filled)")
                    h[.contentType] = "application/x-www-form-urlencoded"
                    body = ByteBuffer(string: text)
                case let .json(template):
                    let text = fill(template, vars)
                    #expect(!unfilled(text), "\(row.label): \(text)")
                    h[.contentType] = "application/json"
                    body = ByteBuffer(string: text)
                }
                return try await client.execute(uri: uri, method: row.method, headers: h, body: body)
            }
        }

        /// An API session of its own (acknowledged or not).
        static func freshAPI(_ staff: String, acknowledge: Bool, _ client: some TestClientProtocol) async throws -> HTTPFields {
            if acknowledge { return try await client.ready(staff) }
            let r = try await client.login(staff)
            return [.authorization: "Bearer " + (try #require(r.json["token"] as? String))]
        }

        /// Acknowledges the banner in force on the column's web session and API token.
        static func acknowledge(_ who: inout Identity, _ client: some TestClientProtocol) async throws {
            let web = try await who.web.post(client, "/banner/acknowledge", [:])
            #expect(web.headers[.location] == "/menu", "\(who.role): \(describe(web))")
            let api = try await client.execute(uri: "/api/v1/banner/acknowledge", method: .post, headers: who.api)
            #expect(api.status == .noContent, "\(who.role): \(describe(api))")
        }

        // MARK: Setting up the columns

        /// Accounts for the roles the fixture has no member of, sessions for every column, and the subjects the rows
        /// name: cases of each role that takes in cases (the others name the clerk's), approvals to decide, a
        /// finding, an investigation with a file, a pending notice, an open survey and one-time codes.
        static func prepare<S: ServerStore>(_ f: StoreFixture<S>, _ client: some TestClientProtocol) async throws -> [Role: Identity] {
            let today = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)).jstDate
            let all = try await f.store.staffMembers(office: nil, role: nil)
            func onDuty(_ s: Staff) -> Bool { s.assignment(on: today)?.duty == Assignment.registerDuty }
            // Not the fixture's staff, and not the clerk another test locks out (the first other clerk).
            var taken = Set([f.clerk, f.clerk2, f.supervisor, f.trainee, f.auditor, f.lockoutVictim].map(\.id))
            if let locked = all.first(where: { $0.role == .clerk && !taken.contains($0.id) }) { taken.insert(locked.id) }
            let contractor = try #require(all.last { $0.role == .contractor && onDuty($0) && !taken.contains($0.id) })
            let administrator = try #require(all.last { $0.role == .administrator })
            let offDuty = try #require(all.last { $0.role == .clerk && !onDuty($0) && !taken.contains($0.id) })
            let unacknowledged = try #require(all.last { $0.role == .clerk && onDuty($0) && !taken.contains($0.id) })
            for s in [contractor, administrator, offDuty, unacknowledged] {
                try await f.store.setPasswordHash(staff: s.id, hash: try PasswordHasher.hash(Fixture.password, logN: 10))
            }
            let staff: [Role: Staff] = [.clerk: f.clerk, .supervisor: f.supervisor, .trainee: f.trainee, .contractor: contractor,
                                        .auditor: f.auditor, .administrator: administrator, .offDuty: offDuty,
                                        .unacknowledged: unacknowledged]
            var ids: [Role: Identity] = [:]
            for role in Role.allCases where role != .ingest {
                var who = Identity(role: role, staff: staff[role])
                if let s = who.staff {
                    who.acknowledged = role != .unacknowledged
                    try await who.web.signIn(client, s.id, acknowledge: who.acknowledged)
                    who.api = try await freshAPI(s.id, acknowledge: who.acknowledged, client)
                }
                ids[role] = who
            }

            // Cases: each role that takes in cases names its own; the others name the clerk's spare ones.
            let register = f.registerA.id
            func newCase(_ auth: HTTPFields, _ json: String) async throws -> String {
                var h = auth
                h[.contentType] = "application/json"
                let r = try await client.execute(uri: "/api/v1/cases", method: .post, headers: h, body: ByteBuffer(string: json))
                #expect(r.status == .created, "\(describe(r))")
                return try #require(r.json["id"] as? String)
            }
            let certificate = #"{"kind":"certificate.full","requester":"self","requesterName":"役割 確認","registers":["\#(register)"]}"#
            let notification = #"{"kind":"notification.birth","notifier":"役割 花子","registers":["\#(register)"]}"#
            var own: [Role: [String: String]] = [:]
            for role in Role.allCases where role.hasCases {
                let auth = ids[role]!.api
                own[role] = ["cert": try await newCase(auth, certificate), "notif": try await newCase(auth, notification),
                             "closeWeb": try await newCase(auth, certificate), "closeAPI": try await newCase(auth, certificate)]
            }
            let clerkAPI = ids[.clerk]!.api
            let spareClose = try await newCase(clerkAPI, certificate)
            let spare = ["cert": try await newCase(clerkAPI, certificate), "notif": try await newCase(clerkAPI, notification),
                         "closeWeb": spareClose, "closeAPI": spareClose]

            // Four approvals the clerk asked for, for the supervisor of the office to decide.
            var approvals: [String: String] = [:]
            for name in ["approvalWebApprove", "approvalWebDeny", "approvalAPIApprove", "approvalAPIDeny"] {
                let r = try await client.postJSON("/api/v1/approvals", clerkAPI, ["register": register, "case": own[.clerk]!["cert"]!])
                #expect(r.status == .created, "\(describe(r))")
                approvals[name] = try #require(r.json["id"] as? String)
            }

            // Results of a POST to show again (post/redirect/get), each made in the column's own web session: a register
            // view, an update entry, an issuance, an approval request; roles that cannot make one name the clerk's.
            var results: [Role: [String: String]] = [:]
            for role in Role.allCases where role.hasCases {
                var web = ids[role]!.web
                var mine: [String: String] = [:]
                let view = try await web.post(client, "/registers/\(register)/view", ["record": "current", "case": own[role]!["cert"]!])
                #expect(view.status == .seeOther, "\(role): \(describe(view))")
                mine["viewToken"] = view.headers[.location].map { String($0.split(separator: "/").last ?? "") }
                if [.clerk, .supervisor].contains(role) {
                    let update = try await web.post(client, "/registers/\(register)/update",
                                                    ["case": own[role]!["notif"]!, "childName": "役割 一郎", "childSex": "M",
                                                     "childBirth": "2026-12-01", "birthPlace": "大阪市"])
                    #expect(update.status == .seeOther, "\(role): \(describe(update))")
                    mine["updateToken"] = update.headers[.location].map { String($0.split(separator: "/").last ?? "") }
                }
                if role != .trainee {
                    let issued = try await client.postJSON("/api/v1/registers/\(register)/certificates", ids[role]!.api,
                                                           ["case": own[role]!["cert"]!])
                    #expect(issued.status == .created, "\(role): \(describe(issued))")
                    mine["issuedCase"] = own[role]!["cert"]!
                    mine["issuance"] = issued.json["number"] as? String
                }
                let asked = try await client.postJSON("/api/v1/approvals", ids[role]!.api, ["register": register, "case": own[role]!["cert"]!])
                #expect(asked.status == .created, "\(role): \(describe(asked))")
                mine["myApproval"] = asked.json["id"] as? String
                ids[role]!.web = web
                results[role] = mine
            }
            // The auditor's letter with a one-time code.
            var auditorWeb = ids[.auditor]!.web
            let letter = try await auditorWeb.post(client, "/console/disclosure/letter",
                                                   ["kind": "person", "subject": f.registerA.members[0], "from": "2000-01-01",
                                                    "to": today.description])
            #expect(letter.status == .seeOther, "\(describe(letter))")
            ids[.auditor]!.web = auditorWeb
            let letterToken = String(try #require(letter.headers[.location]).split(separator: "/").last ?? "")

            // A pending notice: a person registered for notices, a certificate of their register issued to a third party.
            let person = f.registerA.members[0]
            let notices = NoticeService(store: f.store)
            try await notices.register(person: person, address: "大阪市北区役割町1-1", on: LocalDate(year: 2000, month: 1, day: 1)!)
            let thirdParty = try await newCase(clerkAPI, #"{"kind":"certificate.full","requester":"third_party","requesterName":"第三 者","purpose":"役割表の確認","registers":["\#(register)"]}"#)
            let issued = try await client.postJSON("/api/v1/registers/\(register)/certificates", clerkAPI, ["case": thirdParty])
            #expect(issued.status == .created, "\(describe(issued))")
            try await notices.produce()
            let notice = try #require(try await f.store.notices(pendingOnly: true).first { $0.caseID == thirdParty })

            // A finding, and an investigation (opened by the auditor) with a file.
            let finding = try await #require(try AuditService(store: f.store).worklist(limit: 1).first).finding.access
            var aud = ids[.auditor]!.web
            let opened = try await aud.post(client, "/console/investigations", ["staff": f.clerk.id, "title": "役割表の準備"])
            // An open investigation on the staff member already there is linked to, not doubled (issue 19, A-4).
            let investigation = String(try #require(opened.headers[.location]).dropFirst("/console/investigations/".count)
                .prefix { $0 != "?" })
            let boundary = "RoleMatrix42"
            var multipart = ""
            for (k, v) in [("csrf", aud.csrf), ("kind", "interview"), ("text", "役割表の確認のための記録")] {
                multipart += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n"
            }
            multipart += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"matrix.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n役割表\r\n--\(boundary)--\r\n"
            var mh = aud.headers
            mh[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let up = try await client.execute(uri: "/console/investigations/\(investigation)/entries", method: .post, headers: mh,
                                              body: ByteBuffer(string: multipart))
            #expect(up.status == .seeOther, "\(describe(up))")
            let file = try #require(try await f.store.investigationEntries(investigation: investigation).first { $0.fileName != nil }).id

            // A suppression across staff that another auditor made, waiting for this auditor's confirmation (F-14).
            let suppression = try await f.store.addSuppression(Suppression(
                investigation: investigation, staff: nil, register: register, reasonCodes: ["role_matrix"], rule: "役割表の確認",
                createdBy: "S-OTHER-AUDITOR", created: Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)),
                needsConfirmation: true))

            // An open survey for the staff to answer.
            let survey = "rolematrix-\(Int64(Date().timeIntervalSince1970 * 1000))"
            try await f.store.setConsoleValue("survey.open", survey)

            // One-time codes: one for each column's POST /resident, and one the resident has already used (their
            // report cookie).
            let codes = AccessCodeService(store: f.store)
            func code() async throws -> String { try await codes.create(person: person, from: LocalDate(year: 2000, month: 1, day: 1)!, to: today).code }
            var resident = ids[.resident]!
            _ = try await resident.web.get(client, "/resident")
            let shown = try await resident.web.post(client, "/resident", ["code": try await code()])
            #expect(shown.status == .seeOther && resident.web.cookies[ResidentRoutes.reportCookie] != nil, "\(describe(shown))")
            resident.web.csrf = ""
            ids[.resident] = resident

            let surname = try #require(try await f.store.person(id: person)).surname
            let reason = "電話による照会への回答（役割表の確認）"
            let common: [String: String] = [
                "register": register, "person": person, "staff": f.clerk.id, "auditor": f.auditor.id, "finding": finding,
                "investigation": investigation, "file": String(file), "suppression": String(suppression), "notice": String(notice.id), "survey": survey,
                "today": today.description, "surname": Pages.urlEncoded(surname), "reason": reason,
                "reasonQ": Pages.urlEncoded(reason), "bannerJa": WebConfiguration.defaultBannerJapanese,
                "bannerEn": WebConfiguration.defaultBannerEnglish,
            ].merging(approvals) { a, _ in a }
            for role in Array(ids.keys) {
                var vars = common.merging(own[role] ?? spare) { a, _ in a }
                vars["letterToken"] = letterToken
                vars.merge(results[role] ?? [:]) { a, _ in a }
                vars.merge(results[.clerk]!) { a, _ in a }
                if role != .anonymous { vars["code"] = try await code() }
                // A code of the person's for the console to revoke (each column its own).
                vars["codeHash"] = AccessCodeService.hash(try await code()) ?? ""
                ids[role]!.vars = vars
            }
            return ids
        }
    }
}
