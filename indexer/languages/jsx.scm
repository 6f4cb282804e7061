; repolens extraction query: JSX, for the grammars that have it (JavaScript and TSX).

; `<Button />` renders (calls) the component Button; lower-case tags are HTML elements
((jsx_opening_element name: (identifier) @call) (#match? @call "^[A-Z]"))
((jsx_self_closing_element name: (identifier) @call) (#match? @call "^[A-Z]"))
(jsx_opening_element name: (member_expression) @call)
(jsx_self_closing_element name: (member_expression) @call)

; `onClick={handler}`
(jsx_expression [(identifier) (member_expression)] @reference)
