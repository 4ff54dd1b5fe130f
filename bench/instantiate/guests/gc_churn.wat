;; An allocation-heavy GC loop (`wasp-instantiate-bench --gc`): every
;; iteration allocates a 64-element i64 array and a struct holding it,
;; keeps only the newest, and reads both back. Returns a checksum.
(module
  (type $arr (array (mut i64)))
  (type $box (struct (field i64) (field (ref $arr))))
  (func (export "churn") (param $n i32) (result i64)
    (local $sum i64) (local $b (ref null $box)) (local $i i32)
    (loop $l
      (local.set $b
        (struct.new $box (i64.extend_i32_u (local.get $i))
          (array.new $arr (i64.const 3) (i32.const 64))))
      (local.set $sum (i64.add (local.get $sum)
        (i64.add (struct.get $box 0 (local.get $b))
                 (array.get $arr (struct.get $box 1 (local.get $b)) (i32.const 63)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))
