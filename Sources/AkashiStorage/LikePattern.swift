/// Patterns for SQL `LIKE … ESCAPE '\'`, the same in every store: a typed `%`, `_` or `\` matches only itself.
public enum LikePattern {
    /// `%text%`: the text anywhere.
    public static func contains(_ s: String) -> String { "%" + escaped(s) + "%" }

    /// `text%`: the text at the start.
    public static func prefix(_ s: String) -> String { escaped(s) + "%" }

    private static func escaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
