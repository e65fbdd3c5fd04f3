using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Reconcile.Compiler.Rendering;

/// <summary>
/// Whether a rendered template is one well-formed YAML document holding one object: a mapping at the
/// root (with a top-level `kind` when a Kubernetes object is expected) and no key twice in any mapping.
/// It reads YamlDotNet's event stream only, without building a tree, because it runs once per rendered
/// object (tens of thousands for a large fleet); the reconciler parses the files for real when it
/// applies them.
/// </summary>
internal static class RenderedYamlCheck
{
    /// <summary>Null when the text is one such object, else what is wrong with it.</summary>
    public static string? Problem(string text, bool expectKind)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            var documents = 0;
            var rootIsMapping = false;
            var hasKind = false;
            // Per open collection: the keys seen (null for a sequence) and whether the next node is a key.
            var open = new Stack<(HashSet<string>? Keys, bool ExpectKey)>();
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                var isKey = current is not MappingEnd && open.Count > 0 && open.Peek().Keys is not null && open.Peek().ExpectKey;
                if (isKey)
                {
                    var (keys, _) = open.Pop();
                    open.Push((keys, false));
                    if (current is not Scalar key)
                    {
                        return "a mapping key that is not a plain value";
                    }

                    if (!keys!.Add(key.Value))
                    {
                        return $"the key \"{key.Value}\" appears twice";
                    }

                    hasKind |= open.Count == 1 && key.Value == "kind";
                    continue;
                }

                switch (current)
                {
                    case DocumentStart:
                        documents++;
                        break;
                    case MappingStart:
                        rootIsMapping |= open.Count == 0 && documents == 1;
                        AfterValue(open);
                        open.Push((new HashSet<string>(StringComparer.Ordinal), true));
                        break;
                    case SequenceStart:
                        AfterValue(open);
                        open.Push((null, false));
                        break;
                    case MappingEnd or SequenceEnd:
                        open.Pop();
                        break;
                    case Scalar or AnchorAlias:
                        AfterValue(open);
                        break;
                }
            }

            return documents != 1 || !rootIsMapping ? "something other than one Kubernetes object"
                : expectKind && !hasKind ? "something other than one Kubernetes object"
                : null;
        }
        catch (YamlException e)
        {
            return $"text that does not parse: {e.Message}";
        }
    }

    /// <summary>A value ended inside a mapping: the next node is a key again.</summary>
    private static void AfterValue(Stack<(HashSet<string>? Keys, bool ExpectKey)> open)
    {
        if (open.Count > 0 && open.Peek().Keys is { } keys)
        {
            open.Pop();
            open.Push((keys, true));
        }
    }
}
