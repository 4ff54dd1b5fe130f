;; Issue 8 defect 2 (control seed 173 on 29ed81a): br_table entries targeting a loop headed
;; by a br_if; the inverted entry shifted the later ones (wasp looped until its budget trapped).
;; call: f0 0x49bdc6ed 0x7f
(module
  (type (;0;) (func (param i32 i32) (result i32)))
  (type (;1;) (func))
  (type (;2;) (func (result i32)))
  (type (;3;) (func (result i32 i32)))
  (type (;4;) (func (param i32)))
  (type (;5;) (func (param i32) (result i32)))
  (type (;6;) (func (param i32) (result i32 i32)))
  (export "f0" (func 0))
  (func (;0;) (type 0) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i32)
        local.get 1
      block ;; label = @2
        loop ;; label = @3
          local.get 9
          br_if 1 (;@2;)
          local.get 7
          block (type 6) (param i32) (result i32 i32) ;; label = @4
            local.get 1
            br_table 1 (;@3;) 1 (;@3;) 2 (;@2;) 1 (;@3;) 2 (;@2;) 2 (;@2;)
          end
          br 0 (;@3;)
        end
      end
  )
)