using System.Text.Json.Nodes;

namespace Reconcile.Simulator.Api;

/// <summary>Kubernetes label selectors as query strings: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>.</summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> requirements = [];

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var part in SplitTopLevel(text))
        {
            var term = part.Trim();
            if (term.Length == 0)
            {
                continue;
            }

            if (TrySet(term, " notin ", out var key, out var values))
            {
                selector.requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
            }
            else if (TrySet(term, " in ", out key, out values))
            {
                selector.requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if (term.Contains("!=", StringComparison.Ordinal))
            {
                var (k, v) = Pair(term, "!=");
                selector.requirements.Add(l => !l.TryGetValue(k, out var actual) || actual != v);
            }
            else if (term.Contains("==", StringComparison.Ordinal) || term.Contains('='))
            {
                var (k, v) = Pair(term, term.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                selector.requirements.Add(l => l.TryGetValue(k, out var actual) && actual == v);
            }
            else if (term.StartsWith('!'))
            {
                var k = term[1..].Trim();
                selector.requirements.Add(l => !l.ContainsKey(k));
            }
            else
            {
                Validate(term);
                selector.requirements.Add(l => l.ContainsKey(term));
            }
        }

        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj["metadata"]?["labels"]?.AsObject() ?? [])
        {
            labels[key] = value?.GetValue<string>() ?? "";
        }

        return requirements.All(r => r(labels));
    }

    private static (string Key, string Value) Pair(string term, string op)
    {
        var index = term.IndexOf(op, StringComparison.Ordinal);
        var key = term[..index].Trim();
        Validate(key);
        return (key, term[(index + op.Length)..].Trim());
    }

    private static bool TrySet(string term, string op, out string key, out HashSet<string> values)
    {
        var index = term.IndexOf(op, StringComparison.Ordinal);
        key = "";
        values = [];
        if (index < 0)
        {
            return false;
        }

        key = term[..index].Trim();
        var rest = term[(index + op.Length)..].Trim();
        if (!rest.StartsWith('(') || !rest.EndsWith(')'))
        {
            throw ApiError.BadRequest($"unable to parse requirement: {term}");
        }

        values = [.. rest[1..^1].Split(',').Select(v => v.Trim())];
        return true;
    }

    private static void Validate(string key)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '='))
        {
            throw ApiError.BadRequest($"unable to parse requirement: invalid label key \"{key}\"");
        }
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }
}
