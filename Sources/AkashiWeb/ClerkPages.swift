import AkashiDomain
import AkashiReports
import AkashiStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The clerk's search page (issue 19, C-1 and C-6): a search made within a case carries it (the ledger's `search`
/// access names the case, so the audit sees it explained) and each result can be attached to the case; a search with
/// no case is announced as one recorded without a business document before it is made. 和暦 and katakana are read as
/// the store matches them, an empty search says what to enter, and each result names the members who matched, with
/// their birth dates, so that namesakes can be told apart.
extension Pages {
    /// The query of a GET form as a browser sends it (`application/x-www-form-urlencoded`): `+` is a space and `%2B` a
    /// plus, the first value of each name. (The URI's query parameters keep `+`, so a full name typed with a space,
    /// 「小林 正一」, found nothing.) The pages, the console and the JSON API read queries through this one function.
    static func formQuery(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let key = decode(kv[0])
            if out[key] == nil { out[key] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }

    func searchPage(_ request: Request, _ a: Actor) async throws -> Response {
        let q = Self.formQuery(request)
        let caseID = q["case"]?.trimmed.nonEmpty
        var query = RegisterQuery(name: q["name"], kana: q["kana"], birth: q["birth"], honseki: q["honseki"])
        var v = base(a, title: "戸籍の検索")
        v["case"] = caseID ?? ""
        var usable: Case?
        if let caseID, let c = try await workspace.store.caseRecord(id: caseID), c.staff.contains(a.staff.id),
           c.closed == nil, (c.status ?? .open) == .open {
            usable = c
            v["caseInfo"] = Self.caseSummary(c)
            // The subject as the clerk took it in, to search with (nothing is searched before the clerk presses 検索).
            if query.isEmpty, q["csrf"] == nil, let json = try await workspace.store.caseDetails(caseID: c.id),
               let d = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] {
                query.name = d["subjectName"]
                query.birth = d["subjectBirth"].map(ReportText.wareki)
            }
        }
        v["q"] = ["name": query.name ?? "", "kana": query.kana ?? "", "birth": query.birth ?? "", "honseki": query.honseki ?? ""]
        v["noCase"] = caseID == nil
        let typed = RegisterQuery(name: q["name"], kana: q["kana"], birth: q["birth"], honseki: q["honseki"])
        // Nothing is searched until the form is sent (a search form carries the token; a bare link shows the form).
        guard q["csrf"] != nil || !typed.isEmpty else { return html("search", v) }
        // A search is recorded against the clerk, so another page must not be able to make one: the form carries the
        // session's CSRF token (a GET, so the token is a query parameter).
        guard let t = q["csrf"], Tokens.constantTimeEqual(t, a.session.csrf) else { throw WorkspaceError.csrf }
        let found: [Register]
        let normalised: RegisterQuery
        do {
            found = try await workspace.search(a, query, caseID: caseID, channel: .web)
            normalised = try query.normalised()
        } catch let e as WorkspaceError where e.status == .badRequest {
            v["formError"] = ["message": e.message, "english": e.english]
            if let field = e.field { v["err"] = [field: ["message": e.message, "english": e.english]] }
            return html("search", v, status: .badRequest)
        }
        let people = Dictionary(try await workspace.store.persons(ids: found.flatMap { $0.members + [$0.head].compactMap { $0 } })
            .map { ($0.id, $0) }, uniquingKeysWith: { x, _ in x })
        v["searched"] = true
        v["results"] = found.map { r -> [String: Any] in
            let members = r.members.compactMap { people[$0] }
            let matched = members.filter { normalised.matches($0) == true }
            var row: [String: Any] = [
                "id": r.id, "kind": r.kind.ja, "honseki": r.honseki, "head": r.head.flatMap { people[$0]?.name } ?? "",
                "matched": matched.map { p -> [String: String] in
                    var m = ["name": p.name,
                             "birth": p.birth.map { "\(ReportText.wareki($0.description))（\(ReportText.date($0.description))）" } ?? "不明"]
                    if let k = p.kana?.nonEmpty { m["kana"] = k }
                    return m
                },
                "case": caseID ?? "", "openQuery": caseID.map { "?case=" + Self.urlEncoded($0) } ?? "",
            ]
            if let c = usable {
                row["inCase"] = c.registers.contains(r.id)
                row["caseID"] = c.id
            }
            return row
        }
        v["none"] = found.isEmpty
        v["count"] = found.count
        return html("search", v)
    }
}
