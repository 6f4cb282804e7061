; repolens extraction query for PHP; the capture names are the contract read by
; indexer/extract.py (see its docstring). Put `#set!` before any `#eq?` of a pattern.

; ---- the namespace the file declares: its package (not a definition)
(namespace_definition name: (namespace_name) @package)

; ---- classes, interfaces, traits, enums; `extends` and `implements` are bases
(class_declaration
  name: (name) @name
  (base_clause)? @bases
  (class_interface_clause)? @bases
  body: (_) @body) @definition.class
(interface_declaration
  name: (name) @name
  (base_clause)? @bases
  body: (_) @body) @definition.class
(trait_declaration name: (name) @name body: (_) @body) @definition.class
(enum_declaration
  name: (name) @name
  (class_interface_clause)? @bases
  body: (_) @body) @definition.class
; `use SomeTrait;` in a class body: the trait is a base (an extension of the class)
(class_declaration
  name: (name) @name
  body: (declaration_list (use_declaration) @bases @definition.extension))
(trait_declaration
  name: (name) @name
  body: (declaration_list (use_declaration) @bases @definition.extension))
(enum_declaration
  name: (name) @name
  body: (enum_declaration_list (use_declaration) @bases @definition.extension))

; ---- functions and methods (without a body: interface and abstract methods, declarations)
(method_declaration
  name: (name) @name
  return_type: (_)? @returns
  body: (_)? @body) @definition.function
(function_definition
  name: (name) @name
  return_type: (_)? @returns
  body: (_) @body) @definition.function
(return_statement (_) @return.value)

; ---- docs: a PHPDoc comment right before a definition
((comment) @doc
  . [(class_declaration) (interface_declaration) (trait_declaration) (enum_declaration)
     (method_declaration) (function_definition)] @doc.owner
  (#match? @doc "^/[*][*]"))

; ---- imports: `use App\Models\User;`, `use App\Models\User as U;`, `use App\{A, B as C};`,
; `use function App\util;`; `use Foo;` (a global class) imports the name itself
(namespace_use_clause
  (qualified_name prefix: (namespace_name) @import.module (name) @import.name .)
  !alias)
(namespace_use_clause
  (qualified_name prefix: (namespace_name) @import.module (name) @import.name .)
  alias: (name) @import.alias)
(namespace_use_declaration (namespace_use_clause . (name) @import.module !alias))
(namespace_use_declaration (namespace_use_clause . (name) @import.module alias: (name) @import.alias))
(namespace_use_declaration
  (namespace_name) @import.module
  body: (namespace_use_group (namespace_use_clause . (name) @import.name !alias)))
(namespace_use_declaration
  (namespace_name) @import.module
  body: (namespace_use_group (namespace_use_clause . (name) @import.name alias: (name) @import.alias)))
; `require_once __DIR__ . '/x.php'`, `require 'x.php'`: every name of that file is visible
((require_expression
  (binary_expression
    left: (name) @import.wildcard
    right: (string . (string_content) @import.module .)))
  (#eq? @import.wildcard "__DIR__"))
(require_expression (string . (string_content) @import.module .) @import.wildcard)
((require_once_expression
  (binary_expression
    left: (name) @import.wildcard
    right: (string . (string_content) @import.module .)))
  (#eq? @import.wildcard "__DIR__"))
(require_once_expression (string . (string_content) @import.module .) @import.wildcard)
((include_expression
  (binary_expression
    left: (name) @import.wildcard
    right: (string . (string_content) @import.module .)))
  (#eq? @import.wildcard "__DIR__"))
(include_expression (string . (string_content) @import.module .) @import.wildcard)
((include_once_expression
  (binary_expression
    left: (name) @import.wildcard
    right: (string . (string_content) @import.module .)))
  (#eq? @import.wildcard "__DIR__"))
(include_once_expression (string . (string_content) @import.module .) @import.wildcard)

; ---- calls: `f()`, `$a->b()`, `$a?->b()`, `A::b()`, `new A()` (a call of the class); a call of
; a variable (`$callable()`) names no function
(function_call_expression function: [(name) (qualified_name)] @call)
(member_call_expression) @call
(nullsafe_member_call_expression) @call
(scoped_call_expression) @call
(object_creation_expression [(name) (qualified_name)] @call)
; a global name spelled out (`\strlen()`, `new \DateTime()`): the name itself
(function_call_expression function: (qualified_name . (name) @call .))
(object_creation_expression (qualified_name . (name) @call .))

; ---- references: classes named as values and in types
(class_constant_access_expression . [(name) (qualified_name)] @reference)
(named_type [(name) (qualified_name)] @reference)
(binary_expression operator: "instanceof" right: [(name) (qualified_name)] @reference)

; ---- bindings: `$x = ...`, `$x = new A()` (an alias of the class: members resolve through it),
; `$this->x = ...`, list destructuring, `foreach ... as $k => $v`, `catch (E $e)`
(assignment_expression left: (variable_name) @bind.target right: (_) @bind.value)
(assignment_expression
  left: (variable_name) @bind.target
  right: (object_creation_expression [(name) (qualified_name)] @bind.value))
(assignment_expression
  left: [(member_access_expression) (scoped_property_access_expression)] @bind.target
  right: (_) @bind.value)
(list_literal (variable_name) @bind.target)
(foreach_statement (variable_name) @bind.target)
(foreach_statement (pair (variable_name) @bind.target (variable_name) @bind.target))
(catch_clause type: (type_list . (named_type) @bind.type) name: (variable_name) @bind.target)

; ---- typed properties (`private UserRepository $repo;`, and promoted by a constructor
; `__construct(private Mailer $mailer)`): an instance of their type
(property_declaration
  type: (_) @bind.type
  (property_element name: (variable_name (name) @bind.target)))
(property_promotion_parameter type: (_) @bind.type name: (variable_name (name) @bind.field))

; ---- parameters of functions and methods, with their type (`?User $u` is a User); those of
; closures only shadow names
(method_declaration
  parameters: (formal_parameters
    [(simple_parameter name: (variable_name) @param.name !type)
     (simple_parameter
       type: [(named_type) @param.type (optional_type (named_type) @param.type)]
       name: (variable_name) @param.name)
     (simple_parameter
       type: [(primitive_type) (union_type) (intersection_type) (disjunctive_normal_form_type)]
       name: (variable_name) @param.name)
     (variadic_parameter name: (variable_name) @param.name)
     (property_promotion_parameter
       type: [(named_type) @param.type (optional_type (named_type) @param.type)]
       name: (variable_name) @param.name)
     (property_promotion_parameter
       type: [(primitive_type) (union_type) (intersection_type) (disjunctive_normal_form_type)]
       name: (variable_name) @param.name)
     (property_promotion_parameter !type name: (variable_name) @param.name)]))
(function_definition
  parameters: (formal_parameters
    [(simple_parameter name: (variable_name) @param.name !type)
     (simple_parameter
       type: [(named_type) @param.type (optional_type (named_type) @param.type)]
       name: (variable_name) @param.name)
     (simple_parameter
       type: [(primitive_type) (union_type) (intersection_type) (disjunctive_normal_form_type)]
       name: (variable_name) @param.name)
     (variadic_parameter name: (variable_name) @param.name)]))
(anonymous_function parameters: (formal_parameters (_ name: (variable_name) @param.lambda)))
(arrow_function parameters: (formal_parameters (_ name: (variable_name) @param.lambda)))
(anonymous_function_use_clause (variable_name) @param.lambda)
