;; A WASI preview 1 "hello": prints a greeting and each argument to stdout,
;; then exits with the number of arguments as its status.
;;   cargo run --release -p wasp-cli -- run examples/hello.wat a b c
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasp\n")
  ;; iovec scratch at 0; argc at 32, argv buf size at 36; argv at 64; buf at 1024.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
  (func (export "_start") (local $i i32) (local $arg i32)
    (call $print (i32.const 16) (i32.const 16))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $args_get (i32.const 64) (i32.const 1024)))
    ;; skip argv[0] (the program name)
    (local.set $i (i32.const 1))
    (block $out (loop $next
      (br_if $out (i32.ge_u (local.get $i) (i32.load (i32.const 32))))
      (local.set $arg (i32.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2)))))
      (i32.store8 (i32.const 48) (i32.const 10))
      (call $print (local.get $arg) (call $strlen (local.get $arg)))
      (call $print (i32.const 48) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $proc_exit (i32.sub (i32.load (i32.const 32)) (i32.const 1)))))
