//! Reading a styled screen: the output of `capture-pane -e`, where tmux writes each cell's
//! attributes as SGR escape sequences. Reverse video is how the UI marks the highlighted row,
//! and colours carry the session's state, so both are checked from here.

/// The attributes in effect for a cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pen {
    /// The foreground as tmux wrote it: `33`, `93`, `38;5;3`...
    pub fg: Option<String>,
    pub bg: Option<String>,
    pub bold: bool,
    pub reverse: bool,
}

impl Pen {
    /// Follows one SGR sequence's parameters.
    fn apply(&mut self, params: &str) {
        let codes: Vec<&str> = params.split([';', ':']).collect();
        let mut i = 0;
        while i < codes.len() {
            match codes[i] {
                "" | "0" => *self = Pen::default(),
                "1" => self.bold = true,
                "22" => self.bold = false,
                "7" => self.reverse = true,
                "27" => self.reverse = false,
                "39" => self.fg = None,
                "49" => self.bg = None,
                // Extended colours carry arguments (`38;5;7` is a colour, not "reverse"), which
                // are stepped over whatever the colour is for; 58 is the underline's.
                c @ ("38" | "48" | "58") => {
                    let take = match codes.get(i + 1) {
                        Some(&"5") => 2,
                        Some(&"2") => 4,
                        _ => 0,
                    };
                    let colour = codes.get(i..=i + take).map(|c| c.join(";"));
                    match c {
                        "38" => self.fg = colour,
                        "48" => self.bg = colour,
                        _ => {}
                    }
                    i += take;
                }
                c if c.len() == 2 && (c.starts_with('3') || c.starts_with('9')) => self.fg = Some(c.to_string()),
                c if (c.len() == 2 && c.starts_with('4')) || (c.len() == 3 && c.starts_with("10")) => {
                    self.bg = Some(c.to_string())
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// Each line of a styled capture as its characters with their attributes. tmux carries
/// attributes from one line to the next, so the pen runs across lines.
pub fn cells(styled: &str) -> Vec<Vec<(char, Pen)>> {
    let mut pen = Pen::default();
    let mut out = Vec::new();
    for line in styled.lines() {
        let mut row = Vec::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c != '\x1b' {
                row.push((c, pen.clone()));
                continue;
            }
            if chars.next() != Some('[') {
                continue;
            }
            let mut params = String::new();
            let mut last = '\0';
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    last = c;
                    break;
                }
                params.push(c);
            }
            if last == 'm' {
                pen.apply(&params);
            }
        }
        out.push(row);
    }
    out
}

/// The attributes of every cell of the first occurrence of `needle`, if it is on screen.
pub fn pens_of(styled: &str, needle: &str) -> Option<Vec<Pen>> {
    let needle: Vec<char> = needle.chars().collect();
    cells(styled).into_iter().find_map(|row| {
        let text: Vec<char> = row.iter().map(|(c, _)| *c).collect();
        let at = text.windows(needle.len()).position(|w| w == needle.as_slice())?;
        Some(row[at..at + needle.len()].iter().map(|(_, p)| p.clone()).collect())
    })
}

/// The text of a styled capture, as `Tmux::capture` would give it.
pub fn plain(styled: &str) -> String {
    cells(styled)
        .into_iter()
        .map(|row| row.into_iter().map(|(c, _)| c).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text drawn in reverse video on each line that has any, trimmed.
pub fn reversed_runs(styled: &str) -> Vec<String> {
    cells(styled)
        .into_iter()
        .map(|row| row.into_iter().filter(|(_, p)| p.reverse).map(|(c, _)| c).collect::<String>().trim().to_string())
        .filter(|run| !run.is_empty())
        .collect()
}

/// The first word of the one highlighted row (the browser's cursor); `None` unless exactly one
/// line has reverse video, so a stale second highlight cannot pass for the cursor.
pub fn highlighted(styled: &str) -> Option<String> {
    match reversed_runs(styled).as_slice() {
        [one] => one.split_whitespace().next().map(str::to_string),
        _ => None,
    }
}
