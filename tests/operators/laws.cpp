// laws: see below
