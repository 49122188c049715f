"""The hostile catalogue's data: the attackers' files (`files/`), and what the judge must answer (`manifest`)."""
