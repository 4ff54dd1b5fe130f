;; The loop of loop_locals.wat with every piece of state (counter, limit and
;; accumulators) kept in mutable globals: global.get/global.set heavy, the way
;; code that keeps a stack pointer or virtual registers in globals behaves.
(module
  (global $i (mut i32) (i32.const 0))
  (global $n (mut i32) (i32.const 0))
  (global $a (mut i32) (i32.const 0))
  (global $b (mut i32) (i32.const 0))
  (global $c (mut i64) (i64.const 0))

  (func (export "run") (param $n i32) (result i64)
    (global.set $n (local.get $n))
    (global.set $i (i32.const 0))
    (global.set $a (i32.const 0x12345678))
    (global.set $b (i32.const 7))
    (global.set $c (i64.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (global.get $i) (global.get $n)))
        (global.set $a
          (i32.add (i32.mul (global.get $a) (i32.const 31)) (global.get $i)))
        (global.set $b
          (i32.rotl
            (i32.xor (global.get $b) (i32.shr_u (global.get $a) (i32.const 3)))
            (i32.const 5)))
        (global.set $c
          (i64.add (global.get $c)
                   (i64.extend_i32_u (i32.and (global.get $b) (i32.const 0xffff)))))
        (global.set $i (i32.add (global.get $i) (i32.const 1)))
        (br $next)))
    (i64.xor
      (global.get $c)
      (i64.shl (i64.extend_i32_u (i32.xor (global.get $a) (global.get $b)))
               (i64.const 32)))))
