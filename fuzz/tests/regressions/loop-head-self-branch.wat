;; Issue 8 defect 1 (control seed 54 on 29ed81a): a loop headed by a branch to itself, with
;; a br back to it; translation recursed until the host stack overflowed.
;; call: f1 0 0
(module
  (type (;0;) (func (param i32 i32) (result i32)))
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i32) i32.const 0)
  (export "f1" (func 1))
  (func (;0;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
    local.get 5
  )
  (func (;1;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
    block ;; label = @1
      loop ;; label = @2
        block ;; label = @3
          block ;; label = @4
            global.get 1
            i32.const 1
            i32.sub
            if (result i32) ;; label = @5
              local.get 6
                  loop ;; label = @8
                    local.get 8
                    br_if 0 (;@8;)
                    local.get 10
                    i32.const 1
                    i32.add
                    local.set 10
                    global.get 0
                    if ;; label = @9
                      br 1 (;@8;)
                    end
                  end
              drop
              local.get 10
              br_if 4 (;@1;)
              i32.const 31
            else
              local.get 8
              local.get 6
              i32.ge_s
            end
            local.set 1
          end
        end
      end
    end
    i32.const 0
  )
)