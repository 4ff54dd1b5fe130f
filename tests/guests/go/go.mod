module wasp.test/guests

go 1.24
