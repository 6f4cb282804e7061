; repolens extraction query: what only the TypeScript grammars (TS and TSX) have (joined after
; ecmascript.scm). Interfaces, type aliases, enums and namespaces are recorded as classes.

; ---- classes: `extends` and `implements` are both bases
(class_declaration
  name: (_) @name
  (class_heritage [(extends_clause) (implements_clause)]* @bases)?
  body: (_) @body) @definition.class
(abstract_class_declaration
  name: (_) @name
  (class_heritage [(extends_clause) (implements_clause)]* @bases)?
  body: (_) @body) @definition.class
; `const C = class {...}` is the class `C`
(variable_declarator
  name: (identifier) @name
  value: (class
    (class_heritage [(extends_clause) (implements_clause)]* @bases)?
    body: (_) @body)) @definition.class
(export_statement
  "default" @name
  value: (class
    (class_heritage [(extends_clause) (implements_clause)]* @bases)?
    body: (_) @body) @definition.class)

; class fields: `handler = () => ...` is a method; `engine = new Engine()` an attribute
(class_body
  (public_field_definition
    name: (_) @name
    value: [
      (arrow_function body: (_) @body)
      (function_expression body: (_) @body)
    ]) @definition.function)
(public_field_definition name: (property_identifier) @bind.target value: (_) @bind.value)
; `abstract run(): void` declares the method subclasses implement
(class_body (abstract_method_signature name: (_) @name) @definition.function)

; ---- types recorded as classes, so annotations and `implements` resolve to them
(interface_declaration
  name: (_) @name
  (extends_type_clause)? @bases
  body: (_) @body) @definition.class
(interface_body (method_signature name: (_) @name) @definition.function)
(type_alias_declaration name: (_) @name) @definition.class
(enum_declaration name: (_) @name body: (_) @body) @definition.class
; `namespace N {...}`: its functions are reached as N.f
(internal_module name: (identifier) @name body: (_) @body) @definition.class

; ---- decorators (also recorded as calls by ecmascript.scm)
(class_declaration
  decorator: (decorator [(identifier) (member_expression)] @decorator.name)) @decorator.target
(class_declaration
  decorator: (decorator (call_expression function: [(identifier) (member_expression)] @decorator.name))) @decorator.target
; a method's decorators come before it in the class body (only the nearest is recorded)
(class_body
  (decorator [(identifier) (member_expression)] @decorator.name) . (method_definition) @decorator.target)
(class_body
  (decorator (call_expression function: [(identifier) (member_expression)] @decorator.name))
  . (method_definition) @decorator.target)
(decorator [(identifier) (member_expression)] @call)

; ---- imports: `import fs = require("fs")`
(import_statement
  (import_require_clause (identifier) @import.alias source: (string (string_fragment) @import.module)))
; `export = Engine` is the default export
((export_statement "=" @bind.target . (identifier) @bind.value) (#set! bind.name "default"))

; ---- references: types in annotations, type arguments and `as` expressions
(type_annotation [(type_identifier) (nested_type_identifier)] @reference)
(generic_type name: [(type_identifier) (nested_type_identifier)] @reference)
(type_arguments [(type_identifier) (nested_type_identifier)] @reference)
(as_expression [(type_identifier) (nested_type_identifier)] @reference)
(satisfies_expression [(type_identifier) (nested_type_identifier)] @reference)

; ---- parameters, with their annotation (`(e: Engine) => e.run()` infers e); only of functions
; with a body: those of overload signatures and function types name nothing in scope
(_
  parameters: (formal_parameters [
    (required_parameter pattern: (identifier) @param.name type: (type_annotation)? @param.type)
    (optional_parameter pattern: (identifier) @param.name type: (type_annotation)? @param.type)
    (required_parameter pattern: (rest_pattern (identifier) @param.name))
  ])
  body: (_))
