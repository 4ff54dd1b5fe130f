;; Recursive Fibonacci: one direct call, a compare and two adds per call.
;; Measures the cost of a wasm-to-wasm call and return.
(module
  (func $fib (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else
        (i64.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; run(n) = fib(n)
  (func (export "run") (param $n i32) (result i64)
    (call $fib (local.get $n))))
