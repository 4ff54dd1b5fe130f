module wasp.test/wasmimport

go 1.24
