; repolens extraction query for Rust.
; Capture names are the contract read by indexer/extract.py (see its docstring); how paths
; (`crate::a::b`, `super::x`, the `foo` of `mod foo;`) become files is RustModules
; (indexer/languages/rust.py). Types are read by their name: `&mut Engine`, `Box<dyn Render>`,
; `Result<Engine, E>` are an Engine and a Render (LanguageSpec.optional_types), `Vec<Engine>`
; a sequence of Engines; slices, arrays, tuples and function types are no type read here.

; ---- types: structs, enums, unions, traits and inline modules are classes
(struct_item name: (type_identifier) @name body: (_)? @body) @definition.class
(enum_item name: (type_identifier) @name body: (_) @body) @definition.class
(union_item name: (type_identifier) @name body: (_) @body) @definition.class
(trait_item
  name: (type_identifier) @name
  bounds: (trait_bounds)? @bases
  body: (_) @body) @definition.class
(mod_item name: (identifier) @name body: (_) @body) @definition.class

; ---- impl blocks: their functions are methods of the type (`impl<T> Engine<T>`: Engine);
; `impl Display for Engine` makes Engine inherit Display
(impl_item !trait type: (_) @name body: (_) @body) @definition.extension
(impl_item trait: (_) @bases type: (_) @name body: (_) @body) @definition.extension

; ---- functions, with the type a call returns; in a trait, a signature without a body is a
; declaration
(function_item
  name: (identifier) @name
  return_type: [
    (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
    (primitive_type)
    (reference_type type: [
      (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
      (primitive_type)])
  ]? @returns
  body: (_) @body) @definition.function
(trait_item
  body: (declaration_list
    (function_signature_item
      name: (identifier) @name
      return_type: [
        (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
        (primitive_type)
        (reference_type type: [
          (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
          (primitive_type)])
      ]? @returns) @definition.function))

; ---- doc comments: the `///` lines (or a `/** */`) before an item, attributes between;
; `//!` lines at the top of a file document the module
((line_comment outer: (outer_doc_comment_marker) doc: (doc_comment) @doc)+
  . (attribute_item)*
  . (_) @doc.owner)
((block_comment outer: (outer_doc_comment_marker) doc: (doc_comment) @doc)
  . (attribute_item)*
  . (_) @doc.owner)
(source_file
  . (line_comment inner: (inner_doc_comment_marker) doc: (doc_comment) @doc)) @doc.owner

; ---- the module tree: `mod foo;` declares the submodule file foo.rs or foo/mod.rs
(source_file (mod_item !body name: (identifier) @import.module))

; ---- use declarations: `use a::b::C` imports the name `C` from the module `a::b`, where it
; is written: at the top of a file, in a function, or in an inline module (a class scope). In
; an inline module `super` is the file's own module, not what it is for the file: such `use`s
; are left out (`mod tests { use super::*; }` sees the file's names anyway).
(use_declaration argument: (identifier) @import.module)
(use_declaration argument: (use_as_clause path: (identifier) @import.module alias: (_) @import.alias))
; `use a::b::C`
((use_declaration
  argument: (scoped_identifier path: (_) @import.module name: (_) @import.name))
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (scoped_identifier path: (_) @import.module name: (_) @import.name)))
  (block (use_declaration
  argument: (scoped_identifier path: (_) @import.module name: (_) @import.name)))]
  (#match? @import.module "^super(::|$)"))
; `use a::b::C as D`
((use_declaration
  argument: (use_as_clause
    path: (scoped_identifier path: (_) @import.module name: (_) @import.name)
    alias: (_) @import.alias))
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (use_as_clause
    path: (scoped_identifier path: (_) @import.module name: (_) @import.name)
    alias: (_) @import.alias)))
  (block (use_declaration
  argument: (use_as_clause
    path: (scoped_identifier path: (_) @import.module name: (_) @import.name)
    alias: (_) @import.alias)))]
  (#match? @import.module "^super(::|$)"))
; `use a::b::*`
((use_declaration
  argument: (use_wildcard (_) @import.module) @import.wildcard)
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (use_wildcard (_) @import.module) @import.wildcard))
  (block (use_declaration
  argument: (use_wildcard (_) @import.module) @import.wildcard))]
  (#match? @import.module "^super(::|$)"))
; `use a::b::{C, D as E, self}`
((use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name)))
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name))))
  (block (use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name))))]
  (#match? @import.module "^super(::|$)"))
((use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (use_as_clause path: (identifier) @import.name alias: (_) @import.alias))))
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (use_as_clause path: (identifier) @import.name alias: (_) @import.alias)))))
  (block (use_declaration
  argument: (scoped_use_list
    path: (_) @import.module
    list: (use_list (use_as_clause path: (identifier) @import.name alias: (_) @import.alias)))))]
  (#match? @import.module "^super(::|$)"))
((use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (self))))
  (#not-match? @import.module "^super(::|$)"))
([(source_file (use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (self)))))
  (block (use_declaration
  argument: (scoped_use_list path: (_) @import.module list: (use_list (self)))))]
  (#match? @import.module "^super(::|$)"))
; nested lists, `use a::{b::{C, D as E}, f::G}`: the module is spelled by several nodes, joined
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (scoped_identifier path: (_) @import.module name: (_) @import.name))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (use_as_clause path: (scoped_identifier path: (_) @import.module name: (_) @import.name)
                                  alias: (_) @import.alias))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (use_wildcard (_) @import.module) @import.wildcard)))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name)))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (scoped_use_list path: (_) @import.module
                                    list: (use_list (use_as_clause path: (identifier) @import.name alias: (_) @import.alias))))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (scoped_use_list path: (_) @import.module list: (use_list (self))))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (scoped_use_list path: (_) @import.module
   list: (use_list (scoped_use_list path: (_) @import.module
                                    list: (use_list (scoped_identifier path: (_) @import.module name: (_) @import.name))))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
((use_declaration argument: (use_list (scoped_use_list path: (_) @import.module list: (use_list (identifier) @import.name))))
 (#set! import.join "::")
 (#not-match? @import.module "^super(::|$)"))
; `use {a::B, c::D as E}`
(use_declaration
  argument: (use_list (scoped_identifier path: (_) @import.module name: (_) @import.name)))
(use_declaration
  argument: (use_list
    (use_as_clause
      path: (scoped_identifier path: (_) @import.module name: (_) @import.name)
      alias: (_) @import.alias)))
; `extern crate serde;`, `extern crate foo as bar;`
(extern_crate_declaration name: (identifier) @import.module !alias)
(extern_crate_declaration name: (identifier) @import.module alias: (identifier) @import.alias)

; `crate::a::f()`, `super::f()` in code: the path's head names the crate root (the parent
; module), bound where it is written
(scoped_identifier path: [(crate) (super)] @import.module)
(scoped_type_identifier path: [(crate) (super)] @import.module)

; ---- calls (a macro is none); `self::f()` is the module's `f`, not a member of `self`
((call_expression function: (scoped_identifier path: (_) @_path) @call)
  (#not-match? @_path "^self(::|$)"))
(call_expression function: (scoped_identifier path: (self) name: (identifier) @call))
(call_expression function: [(identifier) (field_expression) (generic_function)] @call)
; in a macro's arguments (tokens, not expressions) only a bare `f(..)` reads as a call: a name
; first in the arguments or after a separator, right before its parenthesised tokens (not
; `x.f(..)`, not `a::f(..)`, whose paths are not syntax nodes there); one pattern per
; separator: an alternation of them finds only the first call of a macro
(token_tree . (identifier) @call . (token_tree))
(token_tree "," . (identifier) @call . (token_tree))
(token_tree ";" . (identifier) @call . (token_tree))
(token_tree "=>" . (identifier) @call . (token_tree))
(token_tree "=" . (identifier) @call . (token_tree))
(token_tree "==" . (identifier) @call . (token_tree))
(token_tree "!=" . (identifier) @call . (token_tree))
(token_tree "&" . (identifier) @call . (token_tree))
(token_tree "!" . (identifier) @call . (token_tree))

; ---- references: functions passed as values, struct literals, types that are used
(arguments [(identifier) (scoped_identifier)] @reference)
(struct_expression name: [(type_identifier) (scoped_type_identifier)] @reference)
(parameter type: [(type_identifier) (scoped_type_identifier)] @reference)
(reference_type type: [(type_identifier) (scoped_type_identifier)] @reference)
(field_declaration type: [(type_identifier) (scoped_type_identifier)] @reference)
(type_arguments [(type_identifier) (scoped_type_identifier)] @reference)
((function_item return_type: [(type_identifier) (scoped_type_identifier)] @reference)
  (#not-eq? @reference "Self"))

; ---- typed names: fields, parameters (of closures too), `let x: T`, statics and consts
(field_declaration
  name: (field_identifier) @bind.target
  type: [
    (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
    (primitive_type)
    (reference_type type: [
      (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
      (primitive_type)])
  ] @bind.type)
(parameter
  pattern: (identifier) @bind.target
  type: [
    (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
    (primitive_type)
    (reference_type type: [
      (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
      (primitive_type)])
  ] @bind.type)
(let_declaration
  pattern: (identifier) @bind.target
  type: [
    (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
    (primitive_type)
    (reference_type type: [
      (type_identifier) (scoped_type_identifier) (generic_type) (abstract_type) (dynamic_type)
      (primitive_type)])
  ] @bind.type)
(static_item name: (identifier) @bind.target type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type)
(const_item name: (identifier) @bind.target type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type)

; a generic parameter stands for its first bound: `fn f<R: Render>(r: &R)` calls through Render
(type_parameter name: (type_identifier) @bind.target bounds: (trait_bounds . (_) @bind.value))
(where_predicate left: (type_identifier) @bind.target bounds: (trait_bounds . (_) @bind.value))

; ---- local names: `let e = Engine::new()` (`f()?` and `&x` are what they hold), loops over
; sequences (`for e in &engines`); `type Alias = Engine` names the type
(let_declaration pattern: (identifier) @bind.target !type value: (_) @bind.value)
(let_declaration pattern: (identifier) @bind.target !type !value)
(for_expression pattern: (identifier) @bind.target value: (_) @bind.iter)
(type_item name: (type_identifier) @bind.target type: (_) @bind.value)

; names bound by patterns only shadow: `let (a, b)`, `if let Some(x)`, match arms, closures
(tuple_pattern (identifier) @bind.target)
(tuple_struct_pattern type: (_) (identifier) @bind.target)
(struct_pattern (field_pattern name: (shorthand_field_identifier) @bind.target))
(closure_parameters (identifier) @param.lambda)
(closure_parameters (parameter pattern: (identifier) @param.lambda))
