// name: find_symbol
// purpose: Classes, functions, methods and external or unresolved symbols by name. exact
//   matches the name or the qualified name (Engine.run) case-sensitively; prefix and contains
//   match the name case-insensitively. Shorter names come first.
// params: name (string) the name or part of it; mode (string, default exact, one of
//   exact|prefix|contains) how to match; kind (string, default "", one of
//   class|function|method|external|unresolved) only nodes of this kind; language (string,
//   default "") only definitions in files of this language (python, java, go, ...); limit
//   (int, default 20, min 1, max 5000) at most this many rows
// returns: id, kind, name, qualname, path, start_line, end_line, signature
// note: the conditions follow a WITH: in Kùzu 0.11.3, a WHERE on MATCH (n) that joins an IN
//   list with an OR of two properties loses rows of some tables (an exact search for a class
//   name found nothing).
MATCH (n)
WITH n
WHERE n.kind IN ['class', 'function', 'method', 'external', 'unresolved']
  AND ($kind = '' OR n.kind = $kind)
  AND ($language = '' OR n.language = $language)
  AND (($mode = 'exact' AND (n.name = $name OR n.qualname = $name))
    OR ($mode = 'prefix' AND toLower(n.name) STARTS WITH toLower($name))
    OR ($mode = 'contains' AND toLower(n.name) CONTAINS toLower($name)))
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.qualname AS qualname, n.path AS path,
       n.start_line AS start_line, n.end_line AS end_line, n.signature AS signature
ORDER BY size(name), name, id
LIMIT $limit
