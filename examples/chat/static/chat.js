// Joins a room over one WebSocket (/ws/chat?room=…&name=…) and shows what the room says.
const $ = (id) => document.getElementById(id)
let socket = null

function show(text, cls) {
  const li = document.createElement('li')
  li.textContent = text
  if (cls) li.className = cls
  $('log').append(li)
}

$('join').addEventListener('submit', (e) => {
  e.preventDefault()
  if (socket) socket.close()
  const q = new URLSearchParams({ room: $('room').value, name: $('name').value })
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  socket = new WebSocket(`${scheme}://${location.host}/ws/chat?${q}`)
  socket.onopen = () => {
    $('status').textContent = `in room ${$('room').value}`
    $('talk').hidden = false
    $('text').focus()
  }
  socket.onmessage = (m) => {
    const msg = JSON.parse(m.data)
    if (msg.event === 'said') show(`${msg.name}: ${msg.text}`)
    else if (msg.event === 'joined') show(`${msg.name} joined (${msg.members} here)`, 'event')
    else if (msg.event === 'left') show(`${msg.name} left`, 'event')
  }
  socket.onclose = (e) => {
    $('status').textContent = `disconnected (${e.code})`
    $('talk').hidden = true
  }
})

$('talk').addEventListener('submit', (e) => {
  e.preventDefault()
  const text = $('text').value.trim()
  if (text && socket) socket.send(JSON.stringify({ text }))
  $('text').value = ''
})
