;; Issue 8 defect 2 (control seed 911 on 29ed81a): the same class through a nested loop.
;; Only this call terminates (the reducer removed the budget guard of entry 0).
;; call: f1 5 5
(module
  (type (;0;) (func (param i32 i32) (result i32)))
  (export "f1" (func 1))
  (func (;0;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
    i32.const 5
    local.get 3
    br_if 0
    local.set 4
    i32.const 2
  )
  (func (;1;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
      i32.const 0
      block ;; label = @2
        loop ;; label = @3
          local.get 10
          br_if 1 (;@2;)
          i32.const 0
          local.set 9
          block ;; label = @4
            loop ;; label = @5
              local.get 0
              br_table 0 (;@5;) 2 (;@3;) 2 (;@3;) 1 (;@4;)
            end
          end
        end
      end
  )
)