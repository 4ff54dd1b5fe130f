;; A counting loop whose whole state lives in locals: add, mul, xor, shifts,
;; rotate and a compare-and-branch per iteration. Measures raw dispatch of
;; simple register-to-register instructions.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $a i32) (local $b i32) (local $c i64)
    (local.set $a (i32.const 0x12345678))
    (local.set $b (i32.const 7))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; a = a * 31 + i
        (local.set $a
          (i32.add (i32.mul (local.get $a) (i32.const 31)) (local.get $i)))
        ;; b ^= a >> 3, then rotate
        (local.set $b
          (i32.rotl
            (i32.xor (local.get $b) (i32.shr_u (local.get $a) (i32.const 3)))
            (i32.const 5)))
        ;; c += b & 0xffff (64-bit accumulator)
        (local.set $c
          (i64.add (local.get $c)
                   (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0xffff)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.xor
      (local.get $c)
      (i64.shl (i64.extend_i32_u (i32.xor (local.get $a) (local.get $b)))
               (i64.const 32)))))
