builtins: { }
