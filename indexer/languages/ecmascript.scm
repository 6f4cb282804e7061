; repolens extraction query: the part JavaScript, TypeScript and TSX share.
; Joined with javascript.scm or typescript.scm (and jsx.scm) per LanguageSpec.queries; the
; capture names are the contract read by indexer/extract.py (see its docstring).
; Patterns here may only use node types both grammars have, with the same shape.
; Put `#set!` before any `#eq?` of a pattern: py-tree-sitter 0.26 crashes on the other order.

; ---- definitions: functions, methods, and functions assigned to a name
(function_declaration name: (identifier) @name body: (_) @body) @definition.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function

; methods of classes only: methods of object literals stay part of their enclosing function
(class_body (method_definition name: (_) @name body: (_) @body) @definition.function)

; `const f = () => ...` and `const f = function () {...}` are the function `f`
(variable_declarator
  name: (identifier) @name
  value: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
    (generator_function body: (_) @body)
  ]) @definition.function

; `exports.f = function () {...}` (CommonJS)
((assignment_expression
  left: (member_expression object: (identifier) @_exports property: (property_identifier) @name)
  right: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
  ] @definition.function)
  (#eq? @_exports "exports"))

; `export default function () {...}`: an anonymous function named "default"
(export_statement
  "default" @name
  value: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
    (generator_function body: (_) @body)
  ] @definition.function)

; ---- docs: a JSDoc comment right before a definition (or the export / declaration holding it)
((comment) @doc . (_) @doc.owner (#match? @doc "^/[*][*]"))
((comment) @doc . (export_statement declaration: (_) @doc.owner) (#match? @doc "^/[*][*]"))
((comment) @doc . (export_statement value: (_) @doc.owner) (#match? @doc "^/[*][*]"))
((comment) @doc . (lexical_declaration (variable_declarator) @doc.owner) (#match? @doc "^/[*][*]"))
((comment) @doc . (variable_declaration (variable_declarator) @doc.owner) (#match? @doc "^/[*][*]"))
((comment) @doc
  . (export_statement declaration: (lexical_declaration (variable_declarator) @doc.owner))
  (#match? @doc "^/[*][*]"))
((comment) @doc
  . (expression_statement (assignment_expression right: (_) @doc.owner))
  (#match? @doc "^/[*][*]"))

; ---- imports (ES modules)
; `import "./side"`: the module, for its side effects
(import_statement . source: (string (string_fragment) @import.module))
; `import x from "./a"`: the default export, bound to x
((import_statement
  (import_clause (identifier) @import.alias)
  source: (string (string_fragment) @import.module))
  (#set! import.name "default"))
; `import * as ns from "./a"`: the whole module
(import_statement
  (import_clause (namespace_import (identifier) @import.alias))
  source: (string (string_fragment) @import.module))
; `import {a, b as c} from "./a"`
(import_statement
  (import_clause (named_imports (import_specifier name: _ @import.name !alias)))
  source: (string (string_fragment) @import.module))
(import_statement
  (import_clause (named_imports (import_specifier name: _ @import.name alias: (_) @import.alias)))
  source: (string (string_fragment) @import.module))
; `import("./lazy")`
(call_expression
  function: (import)
  arguments: (arguments . (string (string_fragment) @import.module)))

; ---- re-exports: what a module re-exports it can be imported from
(export_statement
  (export_clause (export_specifier name: _ @import.name !alias))
  source: (string (string_fragment) @import.module))
(export_statement
  (export_clause (export_specifier name: _ @import.name alias: _ @import.alias))
  source: (string (string_fragment) @import.module))
(export_statement "*" @import.wildcard source: (string (string_fragment) @import.module))
(export_statement
  (namespace_export (_) @import.alias)
  source: (string (string_fragment) @import.module))

; ---- CommonJS
; `const x = require("./a")`: `module.exports`, which is the default export when assigned
; (`module.exports = Engine`), else the module (`exports.f = ...`)
((variable_declarator
  name: (identifier) @import.alias
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .)))
  (#set! import.name "default")
  (#eq? @_require "require"))
; `const {a, b: c} = require("./a")`
((variable_declarator
  name: (object_pattern (shorthand_property_identifier_pattern) @import.name)
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .)))
  (#eq? @_require "require"))
((variable_declarator
  name: (object_pattern (pair_pattern key: (property_identifier) @import.name value: (identifier) @import.alias))
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .)))
  (#eq? @_require "require"))
; `require("./side")`
((expression_statement
  (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.module) .)))
  (#eq? @_require "require"))

; ---- exports: `export default` binds the name "default" in the module
((export_statement "default" @bind.target declaration: (_ name: (_) @bind.value))
  (#set! bind.name "default"))
((export_statement
  "default" @bind.target
  value: [(identifier) (member_expression) (new_expression) (call_expression)] @bind.value)
  (#set! bind.name "default"))
; `export {a as b}` (no source): b is another name for a
(export_statement
  !source
  (export_clause (export_specifier name: (identifier) @bind.value alias: (identifier) @bind.target)))
; `module.exports = x` is the default export; `exports.a = x`, `module.exports.a = x` name a
((assignment_expression
  left: (member_expression object: (identifier) @_module property: (property_identifier) @bind.target)
  right: (_) @bind.value)
  (#set! bind.name "default")
  (#eq? @_module "module")
  (#eq? @bind.target "exports"))
((assignment_expression
  left: (member_expression object: (identifier) @_exports property: (property_identifier) @bind.target)
  right: (_) @bind.value)
  (#eq? @_exports "exports"))
((assignment_expression
  left: (member_expression
    object: (member_expression object: (identifier) @_module property: (property_identifier) @_exports)
    property: (property_identifier) @bind.target)
  right: (_) @bind.value)
  (#eq? @_module "module")
  (#eq? @_exports "exports"))

; ---- calls (`require(...)` is an import, above)
((call_expression function: (_) @call) (#not-eq? @call "require"))
(new_expression constructor: (_) @call)

; ---- references: names used as values where classes and functions travel
(arguments [(identifier) (member_expression)] @reference)
(assignment_expression right: [(identifier) (member_expression)] @reference)
(variable_declarator value: [(identifier) (member_expression)] @reference)
(return_statement [(identifier) (member_expression)] @reference)
(array [(identifier) (member_expression)] @reference)
(pair value: [(identifier) (member_expression)] @reference)
(object (shorthand_property_identifier) @reference)
(binary_expression operator: "instanceof" right: [(identifier) (member_expression)] @reference)

; ---- bindings: names made local by declarations, assignments, loops and catch clauses
(variable_declarator name: (identifier) @bind.target value: (_) @bind.value)
(variable_declarator name: (identifier) @bind.target !value)
(object_pattern (shorthand_property_identifier_pattern) @bind.target)
(object_pattern (pair_pattern value: (identifier) @bind.target))
(array_pattern (identifier) @bind.target)
(assignment_expression left: (identifier) @bind.target right: (_) @bind.value)
(assignment_expression left: (member_expression) @bind.target right: (_) @bind.value)
(for_in_statement left: (identifier) @bind.target)
(catch_clause parameter: (identifier) @bind.target)

; ---- parameters: a lone arrow parameter (`x => x.run()`); the rest differ per grammar
(arrow_function parameter: (identifier) @param.name)
