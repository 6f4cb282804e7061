; repolens extraction query: what only the JavaScript grammar has (joined after ecmascript.scm).

; ---- classes: `class_heritage` holds the base expression itself
(class_declaration
  name: (identifier) @name
  (class_heritage)? @bases
  body: (_) @body) @definition.class
; `const C = class {...}` is the class `C`
(variable_declarator
  name: (identifier) @name
  value: (class (class_heritage)? @bases body: (_) @body)) @definition.class
(export_statement
  "default" @name
  value: (class (class_heritage)? @bases body: (_) @body) @definition.class)

; class fields: `handler = () => ...` is a method; `engine = new Engine()` an attribute
(class_body
  (field_definition
    property: (_) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ]) @definition.function)
(field_definition property: (property_identifier) @bind.target value: (_) @bind.value)

; `export {a as default}`: "default" is a keyword here, not an identifier
((export_statement
  !source
  (export_clause (export_specifier name: (identifier) @bind.value alias: "default" @bind.target)))
  (#set! bind.name "default"))

; ---- parameters
(formal_parameters [
  (identifier) @param.name
  (assignment_pattern left: (identifier) @param.name)
  (rest_pattern (identifier) @param.name)
])
