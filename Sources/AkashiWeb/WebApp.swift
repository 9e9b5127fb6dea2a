import AkashiDomain
import AkashiInterchange
import AkashiLedger
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import ServiceLifecycle
import Synchronization

/// The request context of the web app: Hummingbird's core storage plus the client's address (for the terminal).
public struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var remoteAddress: SocketAddress? { channel?.remoteAddress }
    public var maxUploadSize: Int { 256 * 1024 }
}

/// Builds the web app: the clerk workspace (HTML), the JSON API under `/api/v1`, the published ledger under
/// `/ledger/` (checkpoint and hash tiles public, entry bundles for auditors only), `/healthz` and `/metrics`; with a signer, a service that signs checkpoints while serving.
public enum WebApp {
    /// The directory of the bundled templates and static files.
    static var resourceDirectory: String { Bundle.module.resourcePath ?? "." }

    /// Loads the Mustache templates.
    public static func templates() async throws -> MustacheLibrary {
        try await MustacheLibrary(directory: resourceDirectory + "/Templates")
    }

    /// The router with every route.
    public static func router(workspace: Workspace, templates: MustacheLibrary) -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        let methods = RouteMethods()
        let pages = Pages(workspace: workspace, templates: templates)
        router.add(middleware: ErrorPagesMiddleware(pages: pages))
        router.add(middleware: MethodNotAllowedMiddleware(routes: methods))
        let api = APIRoutes(workspace: workspace)
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        // Request counts per route and status say who is using what: the configured scraper (its bearer token) or a
        // signed-in auditor only.
        router.get("/metrics") { request, _ in
            var allowed = false
            if let token = workspace.config.metricsToken, !token.isEmpty,
               let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
                allowed = Tokens.constantTimeEqual(String(auth.dropFirst(7)), token)
            }
            if !allowed, let cookie = request.cookies[Pages.sessionCookie]?.value,
               let a = try await workspace.actor(token: cookie, kind: .web) {
                // Signed in: an auditor past the banner reads them; anyone else is refused, not asked to sign in.
                guard workspace.hasAcknowledged(a), a.can(.audit) else { throw WorkspaceError.forbiddenRole("メトリクス") }
                allowed = true
            }
            guard allowed else {
                throw WorkspaceError(.unauthorized, "metrics_forbidden",
                                     "メトリクスは監査担当か、設定された収集用トークンでのみ読めます。",
                                     "Metrics are for auditors or the configured scraper token only.")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: PrometheusMetrics.shared.render())))
        }
        let ledger = LedgerService(store: workspace.store)
        router.get("/ledger/**") { request, _ -> Response in
            let path = String(request.uri.path.dropFirst("/ledger/".count))
            // Entry bundles hold the entries themselves (queries, reasons, addresses): auditors only. The checkpoint
            // and the hash tiles, all a proof needs, stay public. Classified by the parser publishedFile uses.
            if case .entries? = try? TilePath.parse(path) {
                try await Self.entryReader(request, workspace: workspace, path: path)
                var r = try await Self.published(ledger, path)
                r.headers[.cacheControl] = "private, no-store"
                return r
            }
            return try await Self.published(ledger, path)
        }
        router.get("/static/akashi.css") { _, _ -> Response in
            let css = (try? String(contentsOfFile: resourceDirectory + "/Static/akashi.css", encoding: .utf8)) ?? ""
            return Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                             body: .init(byteBuffer: ByteBuffer(string: css)))
        }
        api.add(to: router.group("api/v1"), ledger: ledger)
        pages.add(to: router)
        let console = Console(workspace: workspace)
        ConsoleRoutes(pages: pages, console: console).add(to: router)
        ResidentRoutes(pages: pages, console: console).add(to: router)
        SurveyRoutes(pages: pages, console: console).add(to: router)
        methods.record(router.routes.map { ($0.path, $0.method) })
        return router
    }

    /// The signed-in auditor allowed to read an entry bundle (`tile/entries/...`), journaled as `console.view`
    /// before anything is read; 401 without a session, 403 (journaled as `console.denied`) for any other role, 428
    /// before the banner is acknowledged.
    @discardableResult
    static func entryReader(_ request: Request, workspace: Workspace, path: String) async throws -> Actor {
        try Pages.requireSameOrigin(request)
        guard let token = request.cookies[Pages.sessionCookie]?.value,
              let a = try await workspace.actor(token: token, kind: .web) else {
            throw WorkspaceError(.unauthorized, "unauthenticated",
                                 "台帳のエントリ（tile/entries）は個人情報を含むため、監査担当としてサインインした場合だけ取得できます。チェックポイントとハッシュのタイル（tile/<L>/<N>）は公開されています。",
                                 "Ledger entry bundles (tile/entries) hold personal data: sign in as an auditor to fetch them. The checkpoint and the hash tiles (tile/<L>/<N>) are public.")
        }
        guard a.can(.audit) else {
            _ = try await workspace.journal("console.denied", actor: a, subject: request.uri.path,
                                            detail: .object([("role", .string(a.staff.role.rawValue))]))
            throw WorkspaceError(.forbidden, "role_forbidden",
                                 "台帳のエントリ（tile/entries）は個人情報を含むため、監査担当だけが取得できます。",
                                 "Ledger entry bundles (tile/entries) hold personal data: only auditors may fetch them.")
        }
        guard workspace.hasAcknowledged(a) else { throw WorkspaceError.bannerRequired }
        _ = try await workspace.journal("console.view", actor: a, subject: "ledger:" + path,
                                        detail: .object([("path", .string(String(request.uri.path.prefix(300))))]))
        return a
    }

    /// A tlog-tiles file as the newest checkpoint publishes it (404 when there is none).
    static func published(_ ledger: LedgerService, _ path: String) async throws -> Response {
        // Levels above 6 cannot exist (256^7 entries) and overflow LedgerService.width: refuse them here.
        let parts = path.split(separator: "/")
        if parts.count >= 2, parts[0] == "tile", parts[1] != "entries", (Int(parts[1]) ?? 99) > 6 {
            throw WorkspaceError.notFound("台帳のファイル")
        }
        guard !path.contains(".."), let bytes = try await ledger.publishedFile(path: path) else {
            throw WorkspaceError.notFound("台帳のファイル")
        }
        let type = path == "checkpoint" ? "text/plain; charset=utf-8" : "application/octet-stream"
        // Full tiles never change; partial tiles and the checkpoint do.
        let cache = path == "checkpoint" || path.contains(".p/") ? "no-cache" : "max-age=31536000, immutable"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: cache],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The whole application: HTTP server plus, with a signer, the checkpoint service.
    public static func application(workspace: Workspace, signer: NoteSigner?, logger: Logger) async throws
        -> some ApplicationProtocol {
        PrometheusMetrics.bootstrapOnce()
        let templates = try await templates()
        let router = router(workspace: workspace, templates: templates)
        // A connection that says nothing for a minute is closed (silent or stalled clients used to stay open for good).
        var app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(workspace.config.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(workspace.config.host, port: workspace.config.port),
                                 serverName: "akashi"),
            onServerRunning: { channel in
                logger.info("akashi serving", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: logger)
        if let signer {
            app.addServices(CheckpointService(ledger: LedgerService(store: workspace.store), signer: signer,
                                              interval: workspace.config.checkpointInterval, logger: logger))
        }
        app.addServices(SessionSweeper(workspace: workspace), ClaimLeases(workspace: workspace))
        if workspace.config.auditIntervalSeconds > 0 {
            app.addServices(BackgroundAudit(workspace: workspace, logger: logger))
        }
        return app
    }
}

/// Signs a checkpoint every ``WebConfiguration/checkpointInterval`` seconds when the tree grew, and once more on
/// graceful shutdown.
public struct CheckpointService: Service {
    let ledger: LedgerService
    let signer: NoteSigner
    let interval: Double
    let logger: Logger

    public init(ledger: LedgerService, signer: NoteSigner, interval: Double, logger: Logger) {
        self.ledger = ledger
        self.signer = signer
        self.interval = interval
        self.logger = logger
    }

    func signIfGrown() async {
        do {
            guard try await ledger.store.ledgerSize() > 0 else { return }
            // With several servers on one store, only the holder of the signer lease signs; the others skip a turn.
            let (ledger, signer) = (ledger, signer)
            let signed = try await StoreThreads.run {
                try await ledger.store.withLease(.signer) { try await ledger.signCheckpoint(with: signer) }
            }
            guard let cp = signed else {
                logger.debug("checkpoint left to the server holding the signer lease")
                return
            }
            logger.debug("checkpoint", metadata: ["size": "\(cp.size)"])
        } catch {
            logger.error("cannot sign a checkpoint", metadata: ["error": "\(error)"])
        }
    }

    public func run() async throws {
        await signIfGrown()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                if Task.isCancelled { break }
                await signIfGrown()
            }
        }
        await signIfGrown()
    }
}

/// Audits new accesses in the background every ``WebConfiguration/auditIntervalSeconds``, so that the console sees
/// today's work (accesses from the workspace, an import or another server) within a minute, and every auditor page
/// says as of when. One server at a time audits (the store's audit lease); the others learn the time of the last pass
/// from the console state. The pass runs on a thread of its own, never on the server's cooperative threads.
struct BackgroundAudit: Service {
    let workspace: Workspace
    let logger: Logger
    /// The console state key of the last finished pass (RFC 3339).
    static let key = "audit.completed"

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pass()
                try? await Task.sleep(for: .milliseconds(Int(workspace.config.auditIntervalSeconds * 1000)))
            }
        }
    }

    /// One turn: audit what is new if this server holds the audit lease, then publish or learn the time of the last
    /// finished pass. Failures are logged and retried at the next turn.
    func pass() async {
        let store = workspace.server
        do {
            // The lease first: a server that will not audit need not read the console's decisions.
            let summary: AuditRunSummary? = try await store.withLease(.audit) {
                try await AuditService.taught(store: store).run()
            }
            if let summary {
                let now = Timestamp(millis: Workspace.nowMillis())
                try await store.setConsoleValue(Self.key, now.description)
                workspace.auditedAt.withLock { $0 = now }
                if summary.audited > 0 {
                    logger.info("background audit", metadata: ["audited": "\(summary.audited)",
                                                               "newly_flagged": "\(summary.newlyFlagged)"])
                }
            } else if let text = try await store.consoleValue(Self.key), let t = Timestamp(text) {
                workspace.auditedAt.withLock { $0 = t }
            }
        } catch {
            logger.error("background audit failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Ends idle sessions and forgets expired form submissions once a minute.
struct SessionSweeper: Service {
    let workspace: Workspace

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                let cutoff = Workspace.nowMillis() - workspace.config.sessionIdleSeconds * 1000
                try? await workspace.store.deleteSessions(idleSince: cutoff)
                // Form submissions (post/redirect/get) are forgotten once they expire.
                try? await workspace.store.deleteSubmissions(expiredBefore: Workspace.nowMillis())
            }
        }
    }
}

/// Renews the leases of the claims this process holds (``HeldClaims``) every ``Workspace/claimRenewMillis``.
struct ClaimLeases: Service {
    let workspace: Workspace

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Workspace.claimRenewMillis))
                do {
                    try await workspace.renewClaims()
                } catch {
                    workspace.logger.error("renewing form claims failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// Headers every answer carries: no framing, no sniffing, a strict content policy (no script, no inline style).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            try Self.refuseControlCharacters(request)
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // Anything else is a 500, logged with its cause at the default level (the path only: never the query
            // string, a form or a cookie).
            context.logger.error("500 Internal Server Error", metadata: ["method": "\(request.method)",
                                                                      "path": "\(request.uri.path)", "error": "\(error)"])
            // In the API's own form for the API (the fault test found a full disk answered in plain text), and a full
            // disk said as such: nothing can be recorded, so nothing is done.
            response = try WorkspaceError.unexpected(error).response(from: request, context: context)
        }
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // A printable report with its own inline style sets its own (still script-free) policy.
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        }
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// A 400 for a control character anywhere in the decoded path or query: no ID, search term or page number holds
    /// one, and a NUL carried into the store once broke `ledger verify` for good (F-1) or turned a name search into
    /// match-all (F-8). Refused before any handler runs, so nothing is recorded.
    static func refuseControlCharacters(_ request: Request) throws {
        let path = request.uri.path.removingPercentEncoding ?? request.uri.path
        if RecordDecoder.hasControlCharacter(path) {
            throw WorkspaceError.invalid("URL のパスに制御文字は使えません。", "The URL's path holds a control character.").about("path")
        }
        if let (k, _) = request.uri.queryParameters.first(where: { k, v in
            RecordDecoder.hasControlCharacter(String(k)) || RecordDecoder.hasControlCharacter(String(v))
        }) {
            let name = WorkspaceError.shownName(String(k))
            throw WorkspaceError.invalid("URL の「\(name)」に制御文字は使えません。", "The URL's parameter '\(name)' holds a control character.")
                .about(name)
        }
    }
}

/// The methods each registered path answers, recorded once every route is registered (see
/// ``MethodNotAllowedMiddleware``).
final class RouteMethods: Sendable {
    private let table = Mutex<[(path: RouterPath, methods: Set<HTTPRequest.Method>)]>([])

    func record(_ routes: [(RouterPath, HTTPRequest.Method)]) {
        var byPath: [String: (RouterPath, Set<HTTPRequest.Method>)] = [:]
        for (path, method) in routes { byPath[path.description, default: (path, [])].1.insert(method) }
        table.withLock { $0 = byPath.values.map { (path: $0.0, methods: $0.1) } }
    }

    /// The methods of every route whose path matches `path` (as the router matches it); empty when none does.
    func allowed(for path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return table.withLock { routes in
            routes.reduce(into: Set<HTTPRequest.Method>()) { found, route in
                if Self.matches(route.path, segments) { found.formUnion(route.methods) }
            }
        }
    }

    static func matches(_ route: RouterPath, _ segments: [Substring]) -> Bool {
        var k = 0
        for element in route.components {
            if element.description == "**" { return k < segments.count }
            guard k < segments.count, element ~= segments[k] else { return false }
            k += 1
        }
        return k == segments.count
    }
}

/// Answers a request whose path is known but whose method is not with 405 and an `Allow` header naming the methods the
/// path takes (RFC 9110 §15.5.6), not 404 (issue 18, F-18: TRACE on a known path was a 404). A path nothing matches
/// stays a 404; so does a 404 a handler gives.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.allowed(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            var response = try WorkspaceError(.methodNotAllowed, "method_not_allowed",
                                              "この URL では \(request.method.rawValue) は使えません（使えるもの: \(list)）。",
                                              "\(request.method.rawValue) is not allowed here; allowed: \(list).")
                .response(from: request, context: context)
            response.headers[.allow] = list
            return response
        }
    }
}

extension Workspace {
    /// The address a request comes from: the socket's, or, when the socket is a trusted proxy, the last address that
    /// proxy put in `X-Forwarded-For` (``WebConfiguration/trustedProxies``). `nil` when there is no socket (tests).
    func clientAddress(_ request: Request, _ context: WebRequestContext) -> String? {
        Self.clientAddress(socket: context.remoteAddress?.ipAddress,
                           forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!],
                           trusted: config.trustedProxies)
    }
}
