// Writing a lesson: the form (title, summary, articles, topics, author, date, the Markdown body)
// beside the server's preview of the body as residents will see it; save as a draft or publish;
// publish or take back; the revisions, any of which can be loaded again and saved as the newest.
// `#/lessons/new/for/<id>` writes a lesson that answers a 你点我讲 request once published.

import { api } from '../../lib/api.js';
import { renderBlocks } from '../../lib/blocks.js';
import { box, h, show } from '../../lib/dom.js';
import { messageOf } from '../../lib/messages.js';
import { SOURCE, when } from './lessons.js';

const LABEL = { slug: '课程标识', title: '标题', summary: '摘要', articles: '引用条文', tags: '话题', author: '作者', published_on: '发布日期', body: '正文' };

/** `668, 679、680` → [668, 679, 680]; a piece that is not a number is a problem. */
function parseArticles(raw) {
  const pieces = raw.split(/[\s,，、;；]+/).filter(Boolean);
  const bad = pieces.filter(p => !/^\d{1,4}$/.test(p.replace(/^第|条$/g, '')));
  return { numbers: pieces.map(p => Number(p.replace(/^第|条$/g, ''))), bad };
}
const parseTags = (raw) => raw.split(/[,，、;；]+/).map(t => t.trim()).filter(Boolean);

function field(name, input, hint) {
  const problem = h('p', { class: 'field-problem', id: `${name}-problem`, hidden: true });
  input.id = `lesson-${name}`;
  input.setAttribute('aria-describedby', `${name}-problem`);
  return { problem, input, el: h('div', { class: 'field' }, h('label', { for: input.id }, LABEL[name]), input, hint ? h('p', { class: 'muted small' }, hint) : null, problem) };
}

export async function render({ root, leave }, what) {
  const editing = what.startsWith('edit/') ? what.slice(5) : null;
  const requestId = what.startsWith('new/for/') ? Number(what.slice(8)) : null;
  const lesson = editing ? await api('GET', `/admin/lessons/${editing}`) : null;
  let request = null;
  if (requestId) {
    const waiting = await api('GET', '/admin/lesson-requests?state=received&limit=200');
    request = waiting.items.find(r => r.id === requestId) || { id: requestId, topic: '' };
  }
  const fields = {
    slug: field('slug', h('input', { name: 'slug', value: lesson?.slug ?? '', disabled: Boolean(lesson), autocomplete: 'off' }),
      lesson ? '课程标识定下后不能再改。' : '小写英文字母、数字和“-”，如 grassland-fence；居民看到的地址里用它，定下后不能改。'),
    title: field('title', h('input', { name: 'title', value: lesson?.title ?? request?.topic.slice(0, 40) ?? '', maxlength: 40 }), '2到40个字，最好是居民会问的一句话。'),
    summary: field('summary', h('input', { name: 'summary', value: lesson?.summary ?? '', maxlength: 120 }), '一句话说清案情，最多120个字。'),
    articles: field('articles', h('input', { name: 'articles', value: lesson?.articles.join('、') ?? '', inputmode: 'numeric' }), '民法典条文号，用顿号或逗号隔开，如 668、679。'),
    tags: field('tags', h('input', { name: 'tags', value: lesson?.tags.join('、') ?? '' }), '1到5个话题，用顿号隔开，如 民间借贷与担保。'),
    author: field('author', h('input', { name: 'author', value: lesson?.author ?? '乌拉特中旗司法局', maxlength: 40 })),
    published_on: field('published_on', h('input', { name: 'published_on', type: 'date', value: lesson?.published_on ?? '' }), lesson ? '' : '不填就是今天。'),
    body: field('body', h('textarea', { name: 'body', rows: 24, class: 'markdown' }),
      '“## ”开头是小标题，空一行另起一段，“- ”开头是列表，**两边加星号**是加粗。不能用链接、图片、表格和网页代码。'),
  };
  fields.body.input.value = lesson?.markdown ?? '## 案例\n\n\n\n## 法律怎么说\n\n\n\n## 该怎么办\n\n';
  const said = h('div', { role: 'status', id: 'lesson-said' });
  const preview = h('div', { class: 'preview-body', id: 'lesson-preview' });

  const showProblems = (err) => {
    clearProblems();
    const unplaced = [];
    for (const p of err.details) {
      const f = fields[p.field];
      if (!f) { unplaced.push(p); continue; }
      f.problem.textContent = f.problem.textContent ? `${f.problem.textContent}；${p.problem}` : p.problem;
      f.problem.hidden = false;
      f.input.setAttribute('aria-invalid', 'true');
    }
    said.replaceChildren(box('error', err.details.length ? '有几处要改，见标红的地方。' : messageOf(err)),
      ...(unplaced.length ? [h('ul', {}, unplaced.map(p => h('li', {}, `${LABEL[p.field] || '内容'}：${p.problem}`)))] : []));
    const first = Object.values(fields).find(f => !f.problem.hidden);
    first?.input.focus({ preventScroll: true });
    (first?.el ?? said).scrollIntoView({ block: 'center' });
  };
  const clearProblems = () => Object.values(fields).forEach(f => { f.problem.hidden = true; f.problem.textContent = ''; f.input.removeAttribute('aria-invalid'); });

  let timer = null;
  let asked = 0;
  const refreshPreview = async () => {
    const mine = ++asked;
    try {
      const r = await api('POST', '/admin/lessons/preview', { body: fields.body.input.value });
      if (mine === asked) preview.replaceChildren(...renderBlocks(r.blocks));
    } catch (e) {
      if (mine !== asked) return;
      preview.replaceChildren(box('error', '正文有要改的地方：'), h('ul', {}, (e.details.length ? e.details : [{ problem: messageOf(e) }]).map(p => h('li', {}, p.problem))));
    }
  };
  fields.body.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refreshPreview, 500); });
  leave(() => clearTimeout(timer));

  const content = () => {
    const articles = parseArticles(fields.articles.input.value);
    if (articles.bad.length) return { bad: `引用条文要写数字，“${articles.bad.join('、')}”不是条文号` };
    const date = fields.published_on.input.value;
    return { value: {
      title: fields.title.input.value, summary: fields.summary.input.value, articles: articles.numbers,
      tags: parseTags(fields.tags.input.value), author: fields.author.input.value, body: fields.body.input.value,
      ...(date ? { published_on: date } : {}),
    } };
  };

  const save = async (button, publish) => {
    clearProblems();
    const c = content();
    if (c.bad) { showProblems({ details: [{ field: 'articles', problem: c.bad }] }); return; }
    button.disabled = true;
    try {
      let saved;
      if (lesson) {
        saved = await api('PUT', `/admin/lessons/${lesson.slug}`, c.value);
        said.replaceChildren(box('ok', saved.revision > lesson.revision ? `已保存为第${saved.revision}版。` : '内容没有变化，没有新版本。'));
        Object.assign(lesson, saved);
        await loadRevisions();
        publishButton.update();
      } else {
        saved = await api('POST', '/admin/lessons', { slug: fields.slug.input.value.trim(), ...c.value, published: publish });
        if (request) {
          await api('POST', `/admin/lesson-requests/${request.id}/answer`, { slug: saved.slug });
          sessionStorage.setItem('pufa.staff.said', `已发布《${saved.title}》，并答复了点课“${request.topic}”。`);
          location.hash = '#/lesson-requests';
          return;
        }
        sessionStorage.setItem('pufa.staff.said', publish ? `已发布《${saved.title}》。` : `已存为草稿：《${saved.title}》。`);
        location.hash = `#/lessons/edit/${saved.slug}`;
      }
    } catch (e) {
      if (e.code === 'invalid_lesson' || e.code === 'invalid_body') showProblems(e);
      else if (e.code === 'slug_taken') showProblems({ details: [{ field: 'slug', problem: messageOf(e) }] });
      else said.replaceChildren(box('error', messageOf(e)));
    } finally { button.disabled = false; }
  };

  const publishButton = h('button', { class: 'secondary', type: 'button', id: 'lesson-publish', onclick: async () => {
    publishButton.disabled = true;
    try {
      Object.assign(lesson, await api('POST', `/admin/lessons/${lesson.slug}/${lesson.published ? 'unpublish' : 'publish'}`));
      said.replaceChildren(box('ok', lesson.published ? '已发布，居民现在能看到这一课。' : '已撤回，居民看不到这一课了。'));
      publishButton.update();
    } catch (e) { said.replaceChildren(box('error', messageOf(e))); }
    finally { publishButton.disabled = false; }
  } });
  const stateLine = h('p', { class: 'muted' });
  publishButton.update = () => {
    if (!lesson) return;
    publishButton.textContent = lesson.published ? '撤回' : '发布';
    stateLine.textContent = `${lesson.published ? '已发布' : '草稿'} · 第${lesson.revision}版 · ${when(lesson.updated_at)}修改`;
  };

  const revisions = h('div', { id: 'lesson-revisions' });
  const loadRevisions = async () => {
    if (!lesson) return;
    const list = await api('GET', `/admin/lessons/${lesson.slug}/revisions`);
    revisions.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['版本', '时间', '来源', '标题', ''].map(t => h('th', {}, t)))),
      h('tbody', {}, list.map(r => h('tr', {},
        h('td', { class: 'num' }, `第${r.revision}版`),
        h('td', {}, when(r.created_at)),
        h('td', {}, r.actor_id ? `${SOURCE[r.source] || r.source}（工作人员${r.actor_id}号）` : SOURCE[r.source] || r.source),
        h('td', {}, r.title, h('details', {}, h('summary', {}, '看正文'), h('pre', { class: 'revision-body' }, r.markdown))),
        h('td', {}, r.revision === lesson.revision ? h('span', { class: 'muted' }, '当前版本') : h('button', { class: 'secondary', type: 'button', onclick: () => {
          fields.title.input.value = r.title; fields.summary.input.value = r.summary;
          fields.articles.input.value = r.articles.join('、'); fields.tags.input.value = r.tags.join('、');
          fields.author.input.value = r.author; fields.published_on.input.value = r.published_on;
          fields.body.input.value = r.markdown;
          refreshPreview();
          said.replaceChildren(box('notice', `已载入第${r.revision}版的内容。点“保存修改”后，它会成为最新的一版。`));
          window.scrollTo(0, 0);
        } }, '载入这一版')))))));
  };

  const saveDraft = h('button', { class: lesson ? '' : 'secondary', type: 'button', id: 'lesson-save', onclick: (e) => save(e.currentTarget, false) }, lesson ? '保存修改' : '保存草稿');
  const savePublish = lesson ? null : h('button', { type: 'button', id: 'lesson-save-publish', onclick: (e) => save(e.currentTarget, true) },
    request ? '保存、发布并答复点课' : '保存并发布');
  const flash = sessionStorage.getItem('pufa.staff.said');
  sessionStorage.removeItem('pufa.staff.said');
  show(root, h('section', { class: 'card lesson-editor' },
    h('p', {}, h('a', { href: '#/lessons' }, '‹ 全部课程')),
    h('h2', {}, lesson ? `编辑：${lesson.title}` : '写新课程'),
    lesson ? stateLine : null,
    request ? box('notice', `这一课发布后，会答复第${request.id}号点课${request.topic ? `：“${request.topic}”` : ''}。`) : null,
    flash ? box('ok', flash) : null,
    h('div', { class: 'editor-grid' },
      h('div', { class: 'editor-form' }, Object.values(fields).map(f => f.el)),
      h('div', { class: 'editor-preview' }, h('h3', {}, '居民看到的样子'), h('div', { class: 'lesson-preview' }, preview))),
    said,
    h('div', { class: 'row editor-actions' }, saveDraft, savePublish, lesson ? publishButton : null,
      lesson?.published ? h('a', { class: 'button secondary', href: `/#/lesson/${lesson.slug}`, target: '_blank', rel: 'noopener' }, '在居民端查看') : null)),
  lesson ? h('section', { class: 'card' }, h('h2', {}, '历次版本'), revisions) : null);
  publishButton.update();
  window.scrollTo(0, 0);
  await Promise.all([refreshPreview(), loadRevisions()]);
}
