using System.Text.RegularExpressions;

namespace Reconcile.Compiler.Tests.Hostile;

/// <summary>
/// Hostile and careless input, part 1: every value a built-in template writes is one YAML scalar. Each
/// output expression of every template ends in `string.literal` (a double-quoted scalar, escapes and
/// all) or `object.to_json` (numbers, booleans and JSON, which YAML reads as flow values): no value is
/// written bare, where a line break, `#` or `: ` in it would change the document.
/// </summary>
public sealed partial class TemplateQuotingTests
{
    public static TheoryData<string> Templates() =>
        [.. Directory.GetFiles(Repository.PathOf("templates"), "*.sbn").Select(Path.GetFileName).Order(StringComparer.Ordinal).OfType<string>()];

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_output_expression_is_quoted(string template)
    {
        var text = File.ReadAllText(Repository.PathOf("templates", template));
        var bare = Expression().Matches(text)
            .Select(m => m.Groups[1].Value.Trim())
            .Where(e => !Statement().IsMatch(e) && !Quoted().IsMatch(e))
            .ToList();
        Assert.True(bare.Count == 0, $"{template} writes unquoted: {string.Join("; ", bare)}");
        Assert.NotEmpty(Expression().Matches(text));
    }

    [GeneratedRegex(@"\{\{-?(.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex Expression();

    [GeneratedRegex(@"^(#|if\s|else|elseif\s|end$|for\s|capture\s|func\s|ret\s|break$|continue$|[a-z_]+\s*=[^=])", RegexOptions.Singleline)]
    private static partial Regex Statement();

    [GeneratedRegex(@"\|\s*(string\.literal|object\.to_json)\s*$")]
    private static partial Regex Quoted();
}
