module wasiembed

go 1.21
