;; Ackermann's function: deep, non-tail recursion whose depth keeps rising and
;; falling. ack(3, 6) is 172,233 calls reaching about 510 frames deep, which
;; stays below wasmi's default limit of 1,000 nested calls.
(module
  (func $ack (param $m i64) (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $m))
      (then (i64.add (local.get $n) (i64.const 1)))
      (else
        (if (result i64) (i64.eqz (local.get $n))
          (then (call $ack (i64.sub (local.get $m) (i64.const 1)) (i64.const 1)))
          (else
            (call $ack
              (i64.sub (local.get $m) (i64.const 1))
              (call $ack (local.get $m) (i64.sub (local.get $n) (i64.const 1)))))))))

  ;; run(reps) = the sum of ack(3, 5 + (r & 1)) for r in [0, reps)
  (func (export "run") (param $reps i32) (result i64)
    (local $r i32) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $reps)))
        (local.set $sum
          (i64.add (local.get $sum)
            (call $ack (i64.const 3)
                       (i64.extend_i32_u
                         (i32.add (i32.const 5) (i32.and (local.get $r) (i32.const 1)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
