import AkashiDomain
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Errors on the staff pages as pages of the workspace (issue 19, C-2 and C-10): inside the normal layout (header,
/// navigation) for a signed-in member of staff, headed by what went wrong (``WorkspaceError/heading``), and a styled
/// page with the app's title for an unknown URL or an internal error, where there used to be an empty 404 or a line of
/// plain text. The API (`/api/`) keeps its JSON errors, and the resident page and the published ledger their own.
struct ErrorPagesMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let pages: Pages

    /// Paths whose errors are not staff pages.
    static func isStaffPage(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || path.hasPrefix("/resident") || path.hasPrefix("/ledger/") || path == "/metrics"
            || path == "/healthz" || path.hasPrefix("/static/"))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isStaffPage(request.uri.path) else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let e as WorkspaceError {
            return try await page(e, request, context)
        } catch let e as HTTPError where e.status == .notFound {
            return try await page(WorkspaceError(.notFound, "not_found", "このページは見つかりません。URL を確かめてください。",
                                                 "There is no such page; check the URL."), request, context)
        } catch let e as any HTTPResponseError {
            throw e
        } catch {
            // The path only: never the query string, a form or a cookie.
            context.logger.error("500 Internal Server Error", metadata: ["method": "\(request.method)",
                                                                      "path": "\(request.uri.path)", "error": "\(error)"])
            return try await page(WorkspaceError.unexpected(error), request, context)
        }
    }

    /// The error inside the layout when the request comes from a signed-in session; the plain error page otherwise.
    func page(_ e: WorkspaceError, _ request: Request, _ context: Context) async throws -> Response {
        guard let token = request.cookies[Pages.sessionCookie]?.value,
              let a = try? await pages.workspace.actor(token: token, kind: .web) else {
            return try e.response(from: request, context: context)
        }
        var v = pages.base(a, title: e.heading.ja)
        if !pages.workspace.hasAcknowledged(a) { v["noNav"] = true }
        v["error"] = ["heading": e.heading.ja, "headingEn": e.heading.en, "message": e.message, "english": e.english,
                      "code": e.code, "status": String(e.status.code)]
        return pages.html("error", v, status: e.status)
    }
}
