; repolens extraction query for Kotlin (tree-sitter-kotlin 1.1).
; Capture names are the contract read by indexer/extract.py (see its docstring).
; Put `#set!` before any `#eq?` of a pattern: py-tree-sitter 0.26 crashes on the other order.

; ---- the package the file declares: its top-level declarations belong to it
(package_header (qualified_identifier) @package)

; ---- definitions: classes, interfaces, enum classes and objects are classes. A companion
; object is not: its members are reached through the class (`Engine.create()`), so they are
; recorded as the class's own. Bases are the delegation specifiers' types (`: Base(x), I`); the
; commas are in the repeated alternation so that all of them come in one match, whose
; alternatives must not overlap (else tree-sitter may take one that captures nothing). A
; qualified base (`Call.Factory`) is a flat list of names, not a chain: it is left out.
(class_declaration
  name: (identifier) @name
  (delegation_specifiers
    [(delegation_specifier [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases)
     (delegation_specifier (constructor_invocation
       [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases))
     (delegation_specifier (explicit_delegation
       [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases))
     (delegation_specifier (user_type (identifier) (identifier)))
     (delegation_specifier (constructor_invocation (user_type (identifier) (identifier))))
     (delegation_specifier (explicit_delegation (user_type (identifier) (identifier))))
     "," (line_comment) (block_comment)]*)?
  [(class_body) (enum_class_body)]? @body) @definition.class
(object_declaration
  name: (identifier) @name
  (delegation_specifiers
    [(delegation_specifier [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases)
     (delegation_specifier (constructor_invocation
       [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases))
     (delegation_specifier (explicit_delegation
       [(user_type . (identifier) .) (user_type . (identifier) . (type_arguments) .)] @bases))
     (delegation_specifier (user_type (identifier) (identifier)))
     (delegation_specifier (constructor_invocation (user_type (identifier) (identifier))))
     (delegation_specifier (explicit_delegation (user_type (identifier) (identifier))))
     "," (line_comment) (block_comment)]*)?
  (class_body)? @body) @definition.class

; a class whose body the grammar cannot read is an ERROR node starting with its header (in
; tree-sitter-kotlin 1.1, `set = ...` right after a local `val` reads as that val's setter:
; okhttp's http2 Settings); it is still the class, and what was recovered inside it its members
(ERROR ["class" "interface" "object"] . (identifier) @name . "{" @body) @definition.class

; functions; an extension function's receiver type is its owner (`fun Engine.tune()` is the
; method `Engine.tune`); one without a body (abstract, in an interface) is a declaration
(function_declaration
  ([(user_type) (nullable_type)] @owner)?
  name: (identifier) @name
  (function_value_parameters)
  ([(user_type) (nullable_type)] @returns)?
  (function_body)? @body) @definition.function

; what a function without a declared type returns: its expression body, its returns
(function_body [(call_expression) (identifier) (navigation_expression)] @return.value)
(return_expression [(call_expression) (identifier) (navigation_expression)] @return.value)

; ---- KDoc: a /** */ comment right before a declaration (its annotations are inside it)
((block_comment) @doc
  . [(class_declaration) (object_declaration) (function_declaration) (property_declaration)] @doc.owner
  (#match? @doc "^/[*][*]"))

; ---- imports: the whole specifier (`a.b.Engine`, `a.b.topLevel`), bound to its last part or
; its alias; the module system splits it into the package and its members
((import (qualified_identifier) @import.module .) @_import (#not-match? @_import "[*]"))
(import (qualified_identifier) @import.module (identifier) @import.alias)
(import (qualified_identifier) @import.module "*" @import.wildcard)

; ---- calls: `Engine()` (a constructor is a call of the class), `e.run()`, `e?.run()`; the
; superclass's constructor in `class Car : Vehicle("car")`
(call_expression . [(identifier) (navigation_expression)] @call)
(delegation_specifier (constructor_invocation (user_type . (identifier) @call .)))
(delegation_specifier (constructor_invocation (user_type . (identifier) @call . (type_arguments) .)))

; ---- references: names used as values where classes and functions travel
(value_argument [(identifier) (navigation_expression)] @reference)
(callable_reference (identifier) @reference)
(return_expression [(identifier) (navigation_expression)] @reference)

; ---- typed names: properties (of classes or local), primary-constructor properties. A
; qualified type (`a.b.Engine`) is left out: its first name is not the type.
((property_declaration
  (variable_declaration (identifier) @bind.target [(user_type) (nullable_type)] @bind.type))
  (#not-match? @bind.type "^[^<]*[.]"))
((class_parameter (identifier) @bind.target [(user_type) (nullable_type)] @bind.type)
  (#not-match? @bind.type "^[^<]*[.]"))
; `val engine = Engine()`: bound to the value (an assignment `engine = other` binds nothing:
; it stores into a declared variable or property, whose type stays the declared one)
(property_declaration (variable_declaration (identifier) @bind.target) . (_) @bind.value)
(multi_variable_declaration (variable_declaration (identifier) @bind.target))
(for_statement (variable_declaration (identifier) @bind.target) . (_) @bind.iter)
(catch_block (identifier) @bind.target)

; ---- parameters of functions with their types (`e: Engine`, `e: Engine?`); a secondary
; constructor's are left out, they would look like members of the class
(function_declaration (function_value_parameters
  ((parameter (identifier) @param.name . (user_type) @param.type)
    (#not-match? @param.type "^[^<]*[.]"))))
(function_declaration (function_value_parameters
  ((parameter (identifier) @param.name . (nullable_type (user_type) @param.type))
    (#not-match? @param.type "^[^<]*[.]"))))
(function_declaration (function_value_parameters
  ((parameter (identifier) @param.name . (_) @_type) (#match? @_type "^[^<]*[.]|^[(]|^suspend"))))
(lambda_parameters (variable_declaration (identifier) @param.lambda))
