// Keeps the radios a learner has chosen but not yet sent, so that reloading the page does not
// lose them (progressive enhancement: answers that were sent are kept by the server). The
// form carries data-keep-answers with a key unique to the assessment in progress; what the
// server marked as checked always wins.
export function keepAnswers(root) {
  for (const form of root.querySelectorAll('form[data-keep-answers]')) {
    const key = 'answers:' + form.dataset.keepAnswers;
    let stored = {};
    try {
      stored = JSON.parse(window.sessionStorage.getItem(key) || '{}');
    } catch {
      stored = {};
    }
    for (const [name, value] of Object.entries(stored)) {
      const group = form.querySelectorAll(`input[type="radio"][name="${CSS.escape(name)}"]`);
      if ([...group].some((input) => input.checked)) continue;
      for (const input of group) {
        if (input.value === value) input.checked = true;
      }
    }
    form.addEventListener('change', (event) => {
      const input = event.target;
      if (input.type !== 'radio') return;
      stored[input.name] = input.value;
      try {
        window.sessionStorage.setItem(key, JSON.stringify(stored));
      } catch {
        // storage full or disabled: the server still keeps what is sent
      }
    });
  }
}
