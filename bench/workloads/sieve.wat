;; Sieve of Eratosthenes over linear memory, one byte per number: i32.load8_u
;; and i32.store8 in tight strided loops. Memory-bound.
(module
  (memory 1)

  ;; run(n): sieve [0, n) and return the sum of the primes below n.
  (func (export "run") (param $n i32) (result i64)
    (local $pages i32) (local $i i32) (local $j i32) (local $sum i64)
    ;; Grow memory so that [0, n) fits.
    (local.set $pages
      (i32.shr_u (i32.add (local.get $n) (i32.const 0xffff)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size)))
                    (i32.const -1))
          (then unreachable))))
    ;; Mark everything as a candidate (1), with a byte loop rather than
    ;; memory.fill so that the store loop is part of the measurement.
    (local.set $i (i32.const 0))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (local.get $i) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    ;; Cross out multiples.
    (local.set $i (i32.const 2))
    (block $sieved
      (loop $outer
        (br_if $sieved
          (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
        (if (i32.load8_u (local.get $i))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $crossed
              (loop $inner
                (br_if $crossed (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 (local.get $j) (i32.const 0))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    ;; Sum the primes.
    (local.set $i (i32.const 2))
    (block $summed
      (loop $count
        (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.load8_u (local.get $i))
          (then
            (local.set $sum
              (i64.add (local.get $sum) (i64.extend_i32_u (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count)))
    (local.get $sum)))
