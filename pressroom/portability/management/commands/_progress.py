"""A progress bar for long commands: redrawn in place on a terminal, one line per section otherwise."""

WIDTH = 30


class ProgressBar:
    def __init__(self, stdout):
        self.stdout = stdout
        self.interactive = stdout.isatty()
        self.section = None
        self.last = None

    def __call__(self, section, done, total):
        if section != self.section:
            self.finish()
            self.section = section
        self.last = (done, total)
        if self.interactive:
            filled = WIDTH * done // total if total else WIDTH
            bar = "#" * filled + "-" * (WIDTH - filled)
            self.stdout.write(f"\r{section:<12} [{bar}] {done}/{total}", ending="")
            self.stdout.flush()

    def finish(self):
        """End the current section's line: the bar's last state, or the count when not on a terminal."""
        if self.section is None:
            return
        done, total = self.last
        if self.interactive:
            self.stdout.write("")
        else:
            self.stdout.write(f"{self.section}: {done}/{total}")
        self.section = None
