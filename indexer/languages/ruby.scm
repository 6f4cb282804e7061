; repolens extraction query for Ruby; the capture names are the contract read by
; indexer/extract.py (see its docstring). Put `#set!` before any `#eq?` of a pattern.

; ---- classes and modules (`module Shop; class Cart` is Shop.Cart); `class Shop::Cart` is Cart
(class
  name: [(constant) @name (scope_resolution name: (_) @name)]
  superclass: (superclass)? @bases
  body: (_)? @body) @definition.class
(module
  name: [(constant) @name (scope_resolution name: (_) @name)]
  body: (_)? @body) @definition.class

; `include Mod` / `extend Mod` / `prepend Mod` in a class or module: the module is a base (an
; extension of the class, so the class's members include the module's)
((class
  name: (_) @name
  body: (body_statement
    (call
      !receiver
      method: (identifier) @_mixin
      arguments: (argument_list) @bases) @definition.extension))
  (#match? @_mixin "^(include|extend|prepend)$"))
((module
  name: (_) @name
  body: (body_statement
    (call
      !receiver
      method: (identifier) @_mixin
      arguments: (argument_list) @bases) @definition.extension))
  (#match? @_mixin "^(include|extend|prepend)$"))

; `Cart.new` calls the class: `new` is bound to the class in its own scope
((class "class" @bind.target name: (_) @bind.value) (#set! bind.name "new"))

; the top-level module or class a file opens (first): its package, the files reopening it
(program (module name: (constant) @package))
(program (class name: (constant) @package))
(program (module name: (scope_resolution scope: (constant) @package)))
(program (class name: (scope_resolution scope: (constant) @package)))

; ---- methods: `def x` and `def self.x` (a method of the class)
(method name: (_) @name body: (_)? @body) @definition.function
(singleton_method name: (_) @name body: (_)? @body) @definition.function

; a method returns its last expression (a call or `self`; comments after it aside), what
; `return` gives, or what the local it ends with was assigned (`cart = Cart.new ... cart`)
(method body: (body_statement [(call) (self)] @return.value . (comment)* .))
(singleton_method body: (body_statement [(call) (self)] @return.value . (comment)* .))
((method
   body: (body_statement
     (assignment left: (identifier) @_local right: (call) @return.value)
     (identifier) @_returned . (comment)* .))
  (#eq? @_local @_returned))
((singleton_method
   body: (body_statement
     (assignment left: (identifier) @_local right: (call) @return.value)
     (identifier) @_returned . (comment)* .))
  (#eq? @_local @_returned))
(return (argument_list . (_) @return.value .))

; ---- docs: the `#` comments right before a definition (the first line is kept)
((comment)+ @doc . [(method) (singleton_method) (class) (module)] @doc.owner)
; the first definition of a class body: its comments are the class's children, before the body
(class (comment)+ @doc . body: (body_statement . [(method) (singleton_method) (class) (module)] @doc.owner))
(module (comment)+ @doc . body: (body_statement . [(method) (singleton_method) (class) (module)] @doc.owner))

; ---- imports: `require_relative 'x'` (the quoted string: relative to the file) and
; `require 'shop/cart'`; both make every constant and method of the file visible
((call
  !receiver
  method: (identifier) @import.wildcard
  arguments: (argument_list . (string . (string_content) .) @import.module .))
  (#eq? @import.wildcard "require_relative"))
((call
  !receiver
  method: (identifier) @import.wildcard
  arguments: (argument_list . (string . (string_content) @import.module .) .))
  (#eq? @import.wildcard "require"))

; ---- calls: every `call` node (`a.b`, `a.b(1)`, `b 1`, `Cart.new`); `super` in `initialize`
; calls the parent class's constructor
((call method: (_) @_method) @call (#not-match? @_method "^(require|require_relative|super)$"))
(method
  name: (identifier) @_init
  body: (body_statement [(super) @call (call method: (super) @call)])
  (#eq? @_init "initialize"))
; a bare name (`subtotal`) calls a method unless a local variable or parameter has that name
; (read by the extractor once it knows `@call.bare`: core request ruby.md, 4)
(body_statement (identifier) @call.bare)
(then (identifier) @call.bare)
(else (identifier) @call.bare)
(block_body (identifier) @call.bare)
(begin (identifier) @call.bare)
(ensure (identifier) @call.bare)
(parenthesized_statements (identifier) @call.bare)
(argument_list (identifier) @call.bare)
(interpolation (identifier) @call.bare)
(array (identifier) @call.bare)
(exceptions (identifier) @call.bare)
(pair value: (identifier) @call.bare)
(call receiver: (identifier) @call.bare)
(element_reference object: (identifier) @call.bare)
(binary [left: (identifier) @call.bare right: (identifier) @call.bare])
(unary operand: (identifier) @call.bare)
(assignment right: (identifier) @call.bare)
(operator_assignment right: (identifier) @call.bare)
(if condition: (identifier) @call.bare)
(unless condition: (identifier) @call.bare)
(while condition: (identifier) @call.bare)
(until condition: (identifier) @call.bare)
(if_modifier condition: (identifier) @call.bare)
(unless_modifier condition: (identifier) @call.bare)
(while_modifier condition: (identifier) @call.bare)
(until_modifier condition: (identifier) @call.bare)
(conditional condition: (identifier) @call.bare)
(conditional [consequence: (identifier) @call.bare alternative: (identifier) @call.bare])

; ---- references: classes and methods passed as values
(argument_list [(constant) (scope_resolution)] @reference)
(assignment right: [(constant) (scope_resolution)] @reference)

; ---- bindings
(assignment left: [(identifier) (instance_variable) (class_variable) (global_variable) (constant)] @bind.target
  right: (_) @bind.value)
(operator_assignment
  left: [(identifier) (instance_variable) (class_variable) (global_variable) (constant)] @bind.target
  right: (_) @bind.value)
(left_assignment_list (identifier) @bind.target)
(for pattern: (identifier) @bind.target)
(rescue variable: (exception_variable (identifier) @bind.target))

; ---- parameters (untyped); a block's only shadow names
(method_parameters [
  (identifier) @param.name
  (optional_parameter name: (identifier) @param.name)
  (keyword_parameter name: (identifier) @param.name)
  (splat_parameter name: (identifier) @param.name)
  (hash_splat_parameter name: (identifier) @param.name)
  (block_parameter name: (identifier) @param.name)
])
(block_parameters [
  (identifier) @param.lambda
  (optional_parameter name: (identifier) @param.lambda)
  (keyword_parameter name: (identifier) @param.lambda)
  (splat_parameter name: (identifier) @param.lambda)
  (block_parameter name: (identifier) @param.lambda)
])
(lambda_parameters (identifier) @param.lambda)
