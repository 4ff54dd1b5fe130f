;; Code in the shape Go's GOOS=wasip1 compiler emits (see BENCHMARKS.md):
;;
;; - every Go function is (param $PC_B i32) (result i32): the parameter is the
;;   resume point, the result 1 means "unwind the wasm stack";
;; - the body is `loop $L` around one block per resume point and an innermost
;;   `local.get $PC_B; br_table`; a jump is `i32.const K; local.set $PC_B; br $L`;
;; - the Go stack lives in linear memory below the global $SP, cached in the
;;   local $sp; arguments, results and values live across calls are kept there;
;; - a call is `SP -= 8; store the return address at [SP]; i32.const 0;
;;   call F; global.get $SP; local.set $sp; br_if $unwind`, and the callee pops
;;   the return address when it returns;
;; - every function starts with a stack-growth check against
;;   g.stackguard0 (`global.get $g; i32.wrap_i64; i32.load offset=16`);
;; - Go integers and pointers are i64: package variables are addressed as
;;   `i64.const A; i32.wrap_i64; i64.load`, pointer arithmetic as
;;   `i64.extend_i32_u; i64.const 8; i64.add; i32.wrap_i64`.
;;
;; The program is, in Go:
;;
;;   var counter int64
;;   var tab [16]int64
;;
;;   func step(x, i int64) int64 {
;;       for k := 4; k != 0; k-- {
;;           if x&1 != 0 { x = x*3 + 1 } else { x >>= 1 }
;;       }
;;       counter++
;;       return x + (tab[x&15] ^ i)
;;   }
;;
;;   func work(n int64) int64 {
;;       acc := int64(-7046029254386353131)
;;       for i := int64(0); i < n; i++ { acc = step(acc, i) }
;;       return acc + counter
;;   }
;;
;; Each iteration of work is one Go call and about ten br_table dispatches.
;;
;; Memory: g at 0x1000 (stackguard0 at +16), counter at 0x3000, tab at 0x3100,
;; the goroutine stack in [0x10000, 0x20000).
(module
  (memory 3)

  (global $SP (mut i32) (i32.const 0x20000))
  (global $CTXT (mut i64) (i64.const 0))
  (global $g (mut i64) (i64.const 0x1000))
  (global $RET0 (mut i64) (i64.const 0))
  (global $RET1 (mut i64) (i64.const 0))
  (global $RET2 (mut i64) (i64.const 0))
  (global $RET3 (mut i64) (i64.const 0))
  (global $PAUSE (mut i32) (i32.const 0))

  ;; g.stackguard0 = 0x10400
  (data (i32.const 0x1010) "\00\04\01\00")
  ;; tab
  (data (i32.const 0x3100)
    "\15\7c\4a\7f\b9\79\37\9e" "\01\00\00\00\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\ff\7f" "\35\00\00\00\00\00\00\00"
    "\de\c0\ad\0b\00\00\00\00" "\00\00\00\00\00\00\00\80"
    "\ab\cd\ef\01\23\45\67\89" "\11\11\11\11\11\11\11\11"
    "\07\00\00\00\00\00\00\00" "\00\01\00\00\00\00\00\00"
    "\42\00\00\00\42\00\00\00" "\ef\be\ad\de\00\00\00\00"
    "\99\99\99\99\99\99\99\09" "\13\00\00\00\00\00\00\00"
    "\a5\a5\a5\a5\5a\5a\5a\5a" "\fe\ff\ff\ff\ff\ff\ff\ff")

  ;; The stack never runs out in this program: growing it is not modelled.
  (func $runtime.morestackNoCtxt (param $PC_B i32) (result i32)
    unreachable)

  ;; func step(x, i int64) int64; frame 16 bytes.
  ;; On entry 0(SP) = return address, 8(SP) = x, 16(SP) = i, 24(SP) = result.
  (func $main.step (param $PC_B i32) (result i32)
    (local $sp i32) (local $R0 i64) (local $R1 i64) (local $R2 i64) (local $R3 i64)
    global.get $SP
    local.set $sp
    block $unwind
    loop $L
      block $b4
      block $b3
      block $b2
      block $b1
      block $b0
        local.get $PC_B
        br_table $b0 $b1 $b2 $b3 $b4 $b0
      end
      ;; bb0: stack check, frame, arguments
      local.get $sp
      global.get $g
      i32.wrap_i64
      i32.load offset=16
      i32.le_u
      if
        local.get $sp
        i32.const 8
        i32.sub
        global.set $SP
        global.get $SP
        i64.const 0x00010000
        i64.store
        i32.const 0
        call $runtime.morestackNoCtxt
        global.get $SP
        local.set $sp
        br_if $unwind
        i32.const 0
        local.set $PC_B
        br $L
      end
      local.get $sp
      i32.const 16
      i32.sub
      local.tee $sp
      global.set $SP
      local.get $sp
      i64.load offset=24
      local.set $R0
      local.get $sp
      i64.load offset=32
      local.set $R1
      i64.const 4
      local.set $R3
      end
      ;; bb1: loop head: if x&1 == 0 goto bb3
      local.get $R0
      i64.const 1
      i64.and
      i64.eqz
      if
        i32.const 3
        local.set $PC_B
        br $L
      end
      end
      ;; bb2: x = x*3 + 1; goto bb4
      local.get $R0
      i64.const 3
      i64.mul
      i64.const 1
      i64.add
      local.set $R0
      i32.const 4
      local.set $PC_B
      br $L
      end
      ;; bb3: x >>= 1 (falls through into bb4)
      local.get $R0
      i64.const 1
      i64.shr_u
      local.set $R0
      end
      ;; bb4: k--; if k != 0 goto bb1
      local.get $R3
      i64.const 1
      i64.sub
      local.tee $R3
      i64.const 0
      i64.ne
      if
        i32.const 1
        local.set $PC_B
        br $L
      end
      ;; R2 = &tab[x&15]
      local.get $R0
      i64.const 15
      i64.and
      i64.const 3
      i64.shl
      i64.const 0x3100
      i64.add
      local.set $R2
      ;; x += tab[x&15] ^ i
      local.get $R2
      i32.wrap_i64
      i64.load offset=0
      local.get $R1
      i64.xor
      local.get $R0
      i64.add
      local.set $R0
      ;; counter++
      i64.const 0x3000
      i32.wrap_i64
      i64.const 0x3000
      i32.wrap_i64
      i64.load offset=0
      i64.const 1
      i64.add
      i64.store offset=0
      ;; result, free the frame, pop the return address
      local.get $sp
      local.get $R0
      i64.store offset=40
      local.get $sp
      i32.const 16
      i32.add
      local.set $sp
      local.get $sp
      i32.const 8
      i32.add
      global.set $SP
      i32.const 0
      return
    end
    end
    i32.const 1)

  ;; func work(n int64) int64; frame 40 bytes:
  ;; 0..24 outgoing call area, 24(sp) = i, 32(sp) = acc.
  ;; On entry 0(SP) = return address, 8(SP) = n, 16(SP) = result.
  (func $main.work (param $PC_B i32) (result i32)
    (local $sp i32) (local $R0 i64) (local $R1 i64) (local $R2 i64)
    global.get $SP
    local.set $sp
    block $unwind
    loop $L
      block $b3
      block $b2
      block $b1
      block $b0
        local.get $PC_B
        br_table $b0 $b1 $b2 $b3 $b0
      end
      ;; bb0: stack check, frame, i = 0, acc = seed; goto bb1
      local.get $sp
      global.get $g
      i32.wrap_i64
      i32.load offset=16
      i32.le_u
      if
        local.get $sp
        i32.const 8
        i32.sub
        global.set $SP
        global.get $SP
        i64.const 0x00020000
        i64.store
        i32.const 0
        call $runtime.morestackNoCtxt
        global.get $SP
        local.set $sp
        br_if $unwind
        i32.const 0
        local.set $PC_B
        br $L
      end
      local.get $sp
      i32.const 40
      i32.sub
      local.tee $sp
      global.set $SP
      local.get $sp
      i64.const 0
      i64.store offset=24
      local.get $sp
      i64.const 0x9E3779B97F4A7C15
      i64.store offset=32
      i32.const 1
      local.set $PC_B
      br $L
      end
      ;; bb1: loop head: if i >= n goto bb3
      local.get $sp
      i64.load offset=24
      local.set $R0
      local.get $sp
      i64.load offset=48
      local.set $R1
      local.get $R0
      local.get $R1
      i64.ge_s
      if
        i32.const 3
        local.set $PC_B
        br $L
      end
      ;; step(acc, i)
      local.get $sp
      local.get $sp
      i64.load offset=32
      i64.store offset=0
      local.get $sp
      local.get $R0
      i64.store offset=8
      local.get $sp
      i32.const 8
      i32.sub
      global.set $SP
      global.get $SP
      i64.const 0x00020002
      i64.store
      i32.const 0
      call $main.step
      global.get $SP
      local.set $sp
      br_if $unwind
      end
      ;; bb2: resume point after the call: acc = result; i++; goto bb1
      local.get $sp
      i64.load offset=16
      local.set $R0
      local.get $sp
      i64.extend_i32_u
      i64.const 32
      i64.add
      local.set $R2
      local.get $R2
      i32.wrap_i64
      local.get $R0
      i64.store offset=0
      local.get $sp
      i64.extend_i32_u
      i64.const 8
      i64.add
      local.set $R2
      local.get $R2
      i32.wrap_i64
      local.get $R2
      i32.wrap_i64
      i64.load offset=16
      i64.const 1
      i64.add
      i64.store offset=16
      i32.const 1
      local.set $PC_B
      br $L
      end
      ;; bb3: return acc + counter
      local.get $sp
      local.get $sp
      i64.load offset=32
      i64.const 0x3000
      i32.wrap_i64
      i64.load offset=0
      i64.add
      i64.store offset=56
      local.get $sp
      i32.const 40
      i32.add
      local.set $sp
      local.get $sp
      i32.const 8
      i32.add
      global.set $SP
      i32.const 0
      return
    end
    end
    i32.const 1)

  ;; The host-facing entry, like a //go:wasmexport wrapper: reset the package
  ;; state and the stack, pass n on the Go stack, call work, read the result.
  (func (export "run") (param $n i32) (result i64)
    (local $sp i32)
    i64.const 0x3000
    i32.wrap_i64
    i64.const 0
    i64.store offset=0
    i32.const 0x20000
    i32.const 16
    i32.sub
    local.tee $sp
    global.set $SP
    local.get $sp
    local.get $n
    i64.extend_i32_u
    i64.store offset=0
    local.get $sp
    i32.const 8
    i32.sub
    global.set $SP
    global.get $SP
    i64.const 0
    i64.store
    i32.const 0
    call $main.work
    if
      unreachable
    end
    local.get $sp
    i64.load offset=8))
