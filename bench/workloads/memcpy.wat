;; Copying 60,000 bytes between two regions of linear memory, `reps` times, in
;; three ways that must give the same checksum:
;;   run        a byte loop (i32.load8_u / i32.store8),
;;   run_words  a word loop (i64.load / i64.store, 8 bytes a step),
;;   run_bulk   one memory.copy per repetition.
;; The loops measure load/store dispatch; run_bulk measures the bulk-memory
;; fast path (it should run at memmove speed).
(module
  (memory 2)

  (global $len i32 (i32.const 60000))

  ;; Fill [0, 66560) with a fixed pseudo-random byte pattern.
  (func $init
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 66560)))
        (i32.store (local.get $i)
          (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.const 0x9E3779B1)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next))))

  (func $copy_bytes (param $dst i32) (param $src i32) (param $len i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (br $next))))

  ;; $len must be a multiple of 8.
  (func $copy_words (param $dst i32) (param $src i32) (param $len i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (i64.store (local.get $dst) (i64.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (br $next))))

  (func $src (param $r i32) (result i32)
    (i32.and (i32.mul (local.get $r) (i32.const 104)) (i32.const 1016)))
  (func $dst (param $r i32) (result i32)
    (i32.add (i32.const 65536)
             (i32.and (i32.mul (local.get $r) (i32.const 56)) (i32.const 1016))))

  ;; Folds two words of the copy just made into the checksum.
  (func $mix (param $acc i64) (param $r i32) (result i64)
    (local $d i32)
    (local.set $d (call $dst (local.get $r)))
    (i64.add
      (i64.add (i64.mul (local.get $acc) (i64.const 31))
               (i64.load (i32.add (local.get $d)
                                  (i32.and (i32.mul (local.get $r) (i32.const 8))
                                           (i32.const 0x7fff)))))
      (i64.load (i32.sub (i32.add (local.get $d) (global.get $len)) (i32.const 8)))))

  (func (export "run") (param $reps i32) (result i64)
    (local $r i32) (local $acc i64)
    (call $init)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $reps)))
        (call $copy_bytes (call $dst (local.get $r)) (call $src (local.get $r))
                          (global.get $len))
        (local.set $acc (call $mix (local.get $acc) (local.get $r)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "run_words") (param $reps i32) (result i64)
    (local $r i32) (local $acc i64)
    (call $init)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $reps)))
        (call $copy_words (call $dst (local.get $r)) (call $src (local.get $r))
                          (global.get $len))
        (local.set $acc (call $mix (local.get $acc) (local.get $r)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "run_bulk") (param $reps i32) (result i64)
    (local $r i32) (local $acc i64)
    (call $init)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $reps)))
        (memory.copy (call $dst (local.get $r)) (call $src (local.get $r))
                     (global.get $len))
        (local.set $acc (call $mix (local.get $acc) (local.get $r)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
