module wasp.test/shimguest

go 1.24
