"""`sleuth chat`: the terminal REPL (prompt_toolkit for input, rich for output).

`app` runs the loop, `host` keeps the agent facade alive in the background, `turns` drives one
turn's events into `render`, `commands` dispatches slash commands, `completion` completes input.
"""
