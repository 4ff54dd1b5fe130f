;; The example's guest: reads its request from stdin and answers on stdout
;; "hello, <request> (<argv[0]>)\n"; a request starting with "loop" never ends
;; (the server's deadline stops it).
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello, ")
  (data (i32.const 8) " (")
  (data (i32.const 12) ")\n")
  ;; 64: iovecs; 128: counts; 256: argv pointers; 512: argv strings; 1024: the request.
  (func (export "_start")
    (local $n i32) (local $argv0 i32)
    ;; read the request (up to 4 KiB)
    (i32.store (i32.const 64) (i32.const 1024))
    (i32.store (i32.const 68) (i32.const 4096))
    (drop (call $fd_read (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (local.set $n (i32.load (i32.const 128)))
    (if (i32.and (i32.ge_u (local.get $n) (i32.const 4))
                 (i32.eq (i32.load (i32.const 1024)) (i32.const 0x706f6f6c))) ;; "loop"
      (then (loop $forever (br $forever))))
    ;; argv[0]
    (drop (call $args_sizes (i32.const 128) (i32.const 132)))
    (drop (call $args_get (i32.const 256) (i32.const 512)))
    (local.set $argv0 (i32.sub (i32.load (i32.const 132)) (i32.const 1)))
    (if (i32.gt_u (i32.load (i32.const 128)) (i32.const 1))
      (then (local.set $argv0 (i32.sub (i32.sub (i32.load (i32.const 260)) (i32.const 512)) (i32.const 1)))))
    ;; "hello, " request " (" argv0 ")\n"
    (i32.store (i32.const 64) (i32.const 0))    (i32.store (i32.const 68) (i32.const 7))
    (i32.store (i32.const 72) (i32.const 1024)) (i32.store (i32.const 76) (local.get $n))
    (i32.store (i32.const 80) (i32.const 8))    (i32.store (i32.const 84) (i32.const 2))
    (i32.store (i32.const 88) (i32.const 512))  (i32.store (i32.const 92) (local.get $argv0))
    (i32.store (i32.const 96) (i32.const 12))   (i32.store (i32.const 100) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 5) (i32.const 128)))))
