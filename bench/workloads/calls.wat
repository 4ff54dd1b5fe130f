;; Call-heavy: every iteration makes three direct calls of small functions with
;; two to four parameters and one call_indirect through a 4-entry table. The
;; callees do almost nothing, so the time is argument passing, frame set-up and
;; return.
(module
  (type $quad (func (param i32 i32 i32 i32) (result i32)))

  (table 4 funcref)
  (elem (i32.const 0) $q0 $q1 $q2 $q3)

  (func $add4 (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32)
    (i32.add (i32.add (local.get $a) (local.get $b))
             (i32.add (local.get $c) (local.get $d))))

  (func $mix3 (param $a i32) (param $b i32) (param $c i32) (result i32)
    (i32.add (i32.mul (i32.xor (local.get $a) (local.get $b)) (i32.const 31))
             (local.get $c)))

  (func $fold (param $acc i64) (param $x i32) (result i64)
    (i64.add (i64.rotl (local.get $acc) (i64.const 7))
             (i64.extend_i32_u (local.get $x))))

  (func $q0 (type $quad) (i32.add (local.get 0) (i32.mul (local.get 1) (local.get 2))))
  (func $q1 (type $quad) (i32.sub (local.get 0) (i32.xor (local.get 1) (local.get 3))))
  (func $q2 (type $quad) (i32.xor (local.get 0) (i32.add (local.get 2) (local.get 3))))
  (func $q3 (type $quad) (i32.rotl (local.get 0) (local.get 1)))

  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $x i32) (local $acc i64)
    (local.set $x (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x
          (call $add4 (local.get $x) (local.get $i) (i32.const 3) (i32.const 5)))
        (local.set $x (call $mix3 (local.get $x) (local.get $i) (i32.const 11)))
        (local.set $x
          (call_indirect (type $quad)
            (local.get $x) (local.get $i) (i32.const 1) (i32.const 2)
            (i32.and (local.get $i) (i32.const 3))))
        (local.set $acc (call $fold (local.get $acc) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
