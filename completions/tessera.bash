# bash completion for tessera (filled in with the documentation step)
